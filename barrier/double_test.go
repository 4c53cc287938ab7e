package barrier_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// rounds runs members sessions through rounds of Enter+Leave and counts
// violations as the anchors' W6 does: when Enter returns, every member of
// the round must have called Enter; when Leave returns, every member must
// have called Leave. path(r) names round r's barrier.
type roundStats struct {
	enterViol, leaveViol atomic.Int64
	errs                 chan error
}

func runRounds(ctx context.Context, clients []*zkrecipes.Client, rounds int, path func(r int) string, chaos func(r int)) *roundStats {
	n := len(clients)
	arrived := make([]atomic.Int64, rounds)
	leaving := make([]atomic.Int64, rounds)
	st := &roundStats{errs: make(chan error, n*rounds)}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d *barrier.Double
			for r := 0; r < rounds; r++ {
				if d == nil || d.Path() != path(r) {
					d = zktest.Must(barrier.NewDouble(c, path(r), n))
				}
				if i == 0 && chaos != nil {
					chaos(r)
				}
				arrived[r].Add(1)
				if err := d.Enter(ctx); err != nil {
					st.errs <- fmt.Errorf("member %d round %d enter: %w", i, r, err)
					return
				}
				if arrived[r].Load() != int64(n) {
					st.enterViol.Add(1)
				}
				leaving[r].Add(1)
				if err := d.Leave(ctx); err != nil {
					st.errs <- fmt.Errorf("member %d round %d leave: %w", i, r, err)
					return
				}
				if leaving[r].Load() != int64(n) {
					st.leaveViol.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(st.errs)
	return st
}

func (st *roundStats) check(t *testing.T) {
	t.Helper()
	for err := range st.errs {
		t.Error(err)
	}
	assert.Zero(t, st.enterViol.Load(), "members passed Enter before all had arrived")
	assert.Zero(t, st.leaveViol.Load(), "members passed Leave before all had left")
}

func clientsAt(t *testing.T, n int, opts ...zkrecipes.Option) ([]*zkrecipes.Client, string) {
	ns := zktest.Namespace(t)
	srv := zktest.Servers(t)
	cs := make([]*zkrecipes.Client, n)
	for i := range cs {
		cs[i] = zktest.ClientAt(t, srv, ns, opts...)
	}
	return cs, ns
}

func TestIntegration_Double_NoBypassFreshPaths(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	cs, _ := clientsAt(t, 8)
	st := runRounds(ctx, cs, 50, func(r int) string { return fmt.Sprintf("/b/round-%d", r) }, nil)
	st.check(t)
	assertNoMembers(t, cs[0], "/b")
}

func TestIntegration_Double_NoBypassReusedPath(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	cs, _ := clientsAt(t, 8)
	st := runRounds(ctx, cs, 50, func(int) string { return "/b/same" }, nil)
	st.check(t)
	assertNoMembers(t, cs[0], "/b")
}

func assertNoMembers(t *testing.T, c *zkrecipes.Client, dir string) {
	t.Helper()
	ctx := zktest.Context(t, 10*time.Second)
	kids, _, err := c.Children(ctx, dir)
	if err != nil {
		return // the containers are gone
	}
	for _, k := range kids {
		sub, _, err := c.Children(ctx, dir+"/"+k)
		if err == nil {
			assert.Empty(t, sub, "members left behind under %s/%s", dir, k)
		}
	}
}

func TestDouble_BadInput(t *testing.T) {
	c := new(zkrecipes.Client) // never used for I/O
	for _, n := range []int{0, -1} {
		assert.PanicsWithValue(t, fmt.Sprintf("barrier: NewDouble: members must be at least 1, got %d", n),
			func() { _, _ = barrier.NewDouble(c, "/b", n) })
	}
	assert.PanicsWithValue(t, "barrier: NewDouble: nil client", func() { _, _ = barrier.NewDouble(nil, "/b", 2) })
	_, err := barrier.NewDouble(c, "b", 2)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath)
	_, err = barrier.NewDouble(c, "/b", 2, barrier.WithData(make([]byte, zkrecipes.MaxDataSize+1)))
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	assert.ErrorContains(t, err, "barrier: NewDouble: WithData: ")
	_, err = barrier.NewDouble(c, "/b", 2, barrier.WithACL([]zk.ACL{}))
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
}

func TestIntegration_Double_SingleMemberAndMisuse(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 10*time.Second)
	d := zktest.Must(barrier.NewDouble(c, "/b", 1))
	assert.ErrorIs(t, d.Leave(ctx), barrier.ErrNotEntered)
	for i := 0; i < 3; i++ {
		require.NoError(t, d.Enter(ctx))
		assert.ErrorIs(t, d.Enter(ctx), barrier.ErrAlreadyEntered)
		require.NoError(t, d.Leave(ctx))
	}
	assert.ErrorIs(t, d.Leave(ctx), barrier.ErrNotEntered)
	kids, _, err := c.Children(ctx, "/b")
	require.NoError(t, err)
	assert.Empty(t, kids)
}
