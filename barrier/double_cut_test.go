package barrier_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Connection cuts make go-zookeeper deliver session events and re-register
// watches; none of that may let a member through early (the Curator
// GH-1290 bypass came from treating any wake-up as "ready").
func TestIntegration_Double_NoBypassUnderConnectionCuts(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	d := zktest.NewFaultDialer()
	t.Cleanup(func() { d.Close() })
	cs, _ := clientsAt(t, 6, zkrecipes.WithDialer(d.Dial))
	var cuts sync.WaitGroup
	chaos := func(r int) {
		if r%3 == 1 {
			cuts.Add(1)
			time.AfterFunc(time.Duration(rand.IntN(3000))*time.Microsecond, func() {
				defer cuts.Done()
				d.Cut()
			})
		}
	}
	st := runRounds(ctx, cs, 20, func(int) string { return "/b/cut" }, chaos)
	cuts.Wait()
	st.check(t)
	assertNoMembers(t, cs[0], "/b")
}
