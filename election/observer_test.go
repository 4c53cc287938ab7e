package election_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/internal/observe/observetest"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A term is reported when it starts and when it ends: resigned, or lost
// when another client deletes its node.
func TestIntegration_Observer_Leadership(t *testing.T) {
	zktest.SkipIfShort(t)
	rec := observetest.New()
	c := zktest.Client(t, zkrecipes.WithObserver(rec.Observer()))
	ctx := zktest.Context(t, 20*time.Second)
	e := zktest.Must(election.New(c, electionPath, election.WithID("a")))

	term, err := e.Campaign(ctx)
	require.NoError(t, err)
	require.NoError(t, term.Resign(ctx))

	term, err = e.Campaign(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, term.Node(), -1))
	<-term.Done()
	require.True(t, rec.WaitFor(10*time.Second, func(r *observetest.Recorder) bool { return len(r.Terms) == 4 }), "term ends not reported")
	require.NoError(t, term.Resign(ctx))

	rec.Read(func(r *observetest.Recorder) {
		want := []struct{ leader, lost bool }{{true, false}, {false, false}, {true, false}, {false, true}}
		require.Len(t, r.Terms, len(want))
		for i, w := range want {
			ev := r.Terms[i]
			require.Equal(t, electionPath, ev.Path)
			require.Equal(t, "a", ev.ID)
			require.Equal(t, w.leader, ev.Leader, "event %d", i)
			require.Equal(t, w.lost, ev.Lost, "event %d", i)
			if !ev.Leader {
				require.Positive(t, ev.Held)
			}
		}
	})
}
