package cache_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/internal/observe/observetest"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Each kind of cache reports its initial load with its size; a session
// loss reports it stale, and the resync in the new session reports how
// long that lasted and the size after the changes made meanwhile; Close
// reports what the cache held. Sizes add up from their deltas.
func TestIntegration_Observer_CacheEvents(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	rec := observetest.New()
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	w := zktest.ClientAt(t, srv, ns)
	c, d := zktest.FaultyClientAt(t, srv, ns, zkrecipes.WithObserver(rec.Observer()), zkrecipes.WithSessionTimeout(time.Second))
	for _, p := range []string{"/o/a/x", "/o/b"} {
		mustCreate(ctx, t, w, p, "1")
	}
	nd := zktest.Must(cache.NewNode(c, "/o"))
	ch := zktest.Must(cache.NewChildren(c, "/o"))
	tr := zktest.Must(cache.NewTree(c, "/o"))
	require.NoError(t, nd.Start(ctx))
	require.NoError(t, ch.Start(ctx))
	sub := tr.Subscribe()
	defer sub.Close()
	require.NoError(t, tr.Start(ctx))

	size := func(r *observetest.Recorder, kind string) (n int) {
		for _, e := range r.Sizes {
			if e.Kind == kind {
				n += e.Delta
				assert.Equal(t, n, e.Nodes, "delta and nodes of %v", e)
			}
		}
		return n
	}
	rec.Read(func(r *observetest.Recorder) {
		require.Len(t, r.Syncs, 3)
		for i, want := range []zkrecipes.CacheEvent{
			{Path: "/o", Kind: "node", Nodes: 1},
			{Path: "/o", Kind: "children", Nodes: 3},
			{Path: "/o", Kind: "tree", Nodes: 4},
		} {
			assert.Equal(t, want, r.Syncs[i])
			assert.Equal(t, want.Nodes, size(r, want.Kind), want.Kind)
		}
		assert.Empty(t, r.Stales)
	})

	states := c.Subscribe()
	defer states.Close()
	d.Blackhole()
	waitState(ctx, t, states, zkrecipes.Lost)
	mustCreate(ctx, t, w, "/o/c", "1")
	d.Heal()
	until(ctx, t, sub, kind(cache.Reinitialized))
	require.True(t, rec.Wait(ctx, func(r *observetest.Recorder) bool { return len(r.Syncs) == 6 }), "every cache resyncs")
	rec.Read(func(r *observetest.Recorder) {
		assert.Len(t, r.Stales, 3)
		var tree zkrecipes.CacheEvent
		for _, e := range r.Syncs[3:] {
			assert.True(t, e.Resync, "%v", e)
			assert.True(t, e.Stale, "%v", e)
			assert.Positive(t, e.StaleFor, "%v", e)
			if e.Kind == "tree" {
				tree = e
			}
		}
		assert.Equal(t, 5, tree.Nodes, "the resync brought /o/c")
		assert.Equal(t, 5, size(r, "tree"))
	})

	tr.Close()
	rec.Read(func(r *observetest.Recorder) {
		require.Len(t, r.Closes, 1)
		assert.Equal(t, zkrecipes.CacheEvent{Path: "/o", Kind: "tree", Nodes: 5}, r.Closes[0])
	})
	nd.Close()
	ch.Close()
	rec.Read(func(r *observetest.Recorder) { assert.Len(t, r.Closes, 3) })
}
