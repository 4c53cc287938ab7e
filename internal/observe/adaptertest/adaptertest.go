// Package adaptertest holds the scenarios every metrics adapter of the
// module (metrics/prometheus, metrics/otel) is tested with: each drives a
// recipe through its states against real ZooKeeper and checks, at each
// step, what the adapter reads back from its own instruments.
package adaptertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/discovery"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// CacheStep names a point of the cache scenario.
type CacheStep int

const (
	Loaded   CacheStep = iota + 1 // the initial load is done: 4 nodes
	Grew                          // a node was created: 5 nodes
	Stale                         // the connection is suspended
	Resynced                      // reconnected and read again: 5 nodes
	Closed                        // the cache is closed: 0 nodes
)

// Cache reads an adapter's cache instruments for the scenario's cache,
// whose labels are path "/t" and kind "tree".
type Cache struct {
	Observer zkrecipes.Observer
	Nodes    func(t *testing.T) float64
	Stale    func(t *testing.T) float64
	Syncs    func(t *testing.T, typ string) float64 // typ "initial" or "resync"
	// Check, if set, adds the adapter's own checks at each step; start
	// is when Start was called, or when the connection was healed for
	// Resynced.
	Check func(t *testing.T, step CacheStep, start time.Time)
}

// RunCache checks a tree cache's size, staleness and syncs: the size is
// the node count after the load and follows changes; a suspension makes
// the cache stale until the resync after the reconnection, which is
// counted; a closed cache holds nothing.
func RunCache(t *testing.T, a Cache) {
	zktest.SkipIfShort(t)
	check := func(step CacheStep, start time.Time) {
		if a.Check != nil {
			a.Check(t, step, start)
		}
	}
	ctx := zktest.Context(t, 30*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	w := zktest.ClientAt(t, srv, ns)
	c, d := zktest.FaultyClientAt(t, srv, ns, zkrecipes.WithObserver(a.Observer), zkrecipes.WithSessionTimeout(6*time.Second))
	for _, p := range []string{"/t", "/t/a", "/t/b", "/t/a/x"} {
		_, err := w.Create(ctx, p, nil, zkrecipes.Persistent, zkrecipes.WithParents())
		require.NoError(t, err)
	}
	tr := zktest.Must(cache.NewTree(c, "/t"))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()
	start := time.Now()
	require.NoError(t, tr.Start(ctx))
	require.Equal(t, 4.0, a.Nodes(t))
	require.Equal(t, 1.0, a.Syncs(t, "initial"))
	require.Equal(t, 0.0, a.Stale(t))
	check(Loaded, start)

	_, err := w.Create(ctx, "/t/b/y", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	waitCache(t, ctx, sub, cache.Created, "/t/b/y")
	require.Equal(t, 5.0, a.Nodes(t))
	check(Grew, start)

	d.Blackhole()
	waitCache(t, ctx, sub, cache.Stale, "/t")
	require.Equal(t, 1.0, a.Stale(t), "stale while suspended")
	check(Stale, start)
	d.Heal()
	healed := time.Now()
	waitCache(t, ctx, sub, cache.Reinitialized, "/t")
	require.Equal(t, 1.0, a.Syncs(t, "resync"))
	require.Equal(t, 0.0, a.Stale(t))
	require.Equal(t, 5.0, a.Nodes(t))
	check(Resynced, healed)

	tr.Close()
	require.Equal(t, 0.0, a.Nodes(t), "a closed cache holds nothing")
	check(Closed, start)
}

// waitCache waits for an event of kind want about path.
func waitCache(t *testing.T, ctx context.Context, sub *cache.Subscription, want cache.EventKind, path string) {
	t.Helper()
	for {
		ev, err := sub.Next(ctx)
		require.NoError(t, err, "waiting for %v %s", want, path)
		if ev.Kind == want && ev.Path == path {
			return
		}
	}
}

// ServicePathLabel is the path label the service scenario expects: the
// adapter under test maps a path p to ServicePathLabel(p) (its
// WithPathLabel option).
func ServicePathLabel(p string) string { return "svc:" + p }

// RunService checks that a ServiceCache's instance count follows
// registrations. obs observes with paths mapped by ServicePathLabel;
// instances reads the adapter's instance gauge for path label
// "svc:/services/api" and service "api".
func RunService(t *testing.T, obs zkrecipes.Observer, instances func(t *testing.T) float64) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t, zkrecipes.WithObserver(obs))
	d := zktest.Must(discovery.New(c, "/services"))
	var regs []*discovery.Registration
	for _, id := range []string{"a", "b"} {
		r, err := d.Register(ctx, discovery.Instance{Name: "api", ID: id, Address: "10.0.0.1", Port: 80})
		require.NoError(t, err)
		regs = append(regs, r)
	}
	sc, err := d.Cache(ctx, "api")
	require.NoError(t, err)
	defer sc.Close()
	changes := sc.Subscribe()
	defer changes.Close()
	require.Equal(t, 2.0, instances(t))

	require.NoError(t, regs[0].Unregister(ctx))
	ch, err := changes.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, discovery.Left, ch.Kind)
	require.Equal(t, 1.0, instances(t))

	sc.Close()
	require.Equal(t, 0.0, instances(t))
}
