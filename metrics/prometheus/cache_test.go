package zkprom_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/discovery"
	zkprom "github.com/zkrecipes/zkrecipes/metrics/prometheus"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A tree cache's size, staleness, syncs and last sync time: the size is
// the node count after the load and follows changes; a suspension makes
// it stale until the resync after the reconnection, which is counted.
func TestIntegration_Metrics_Cache(t *testing.T) {
	zktest.SkipIfShort(t)
	m := zkprom.New()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	ctx := zktest.Context(t, 30*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	w := zktest.ClientAt(t, srv, ns)
	c, d := zktest.FaultyClientAt(t, srv, ns, zkrecipes.WithObserver(m.Observer()), zkrecipes.WithSessionTimeout(6*time.Second))
	for _, p := range []string{"/t", "/t/a", "/t/b", "/t/a/x"} {
		_, err := w.Create(ctx, p, nil, zkrecipes.Persistent, zkrecipes.WithParents())
		require.NoError(t, err)
	}
	tr := zktest.Must(cache.NewTree(c, "/t"))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()
	before := float64(time.Now().Unix())
	require.NoError(t, tr.Start(ctx))
	l := []string{"path", "/t", "kind", "tree"}
	require.Equal(t, 4.0, value(t, reg, "zkrecipes_cache_nodes", l...))
	require.Equal(t, 1.0, value(t, reg, "zkrecipes_cache_syncs_total", append(l, "type", "initial")...))
	require.Equal(t, 0.0, value(t, reg, "zkrecipes_cache_stale", l...))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP zkrecipes_cache_stale Caches stale now: they may miss changes until their resync.
# TYPE zkrecipes_cache_stale gauge
zkrecipes_cache_stale{kind="tree",path="/t"} 0
`), "zkrecipes_cache_stale"), "a series at 0 from the first load on, for sum() to see")
	require.GreaterOrEqual(t, value(t, reg, "zkrecipes_cache_last_sync_timestamp_seconds", l...), before)

	_, err := w.Create(ctx, "/t/b/y", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	waitCache(t, ctx, sub, cache.Created, "/t/b/y")
	require.Equal(t, 5.0, value(t, reg, "zkrecipes_cache_nodes", l...))

	d.Blackhole()
	waitCache(t, ctx, sub, cache.Stale, "/t")
	require.Equal(t, 1.0, value(t, reg, "zkrecipes_cache_stale", l...), "stale while suspended")
	d.Heal()
	waitCache(t, ctx, sub, cache.Reinitialized, "/t")
	require.Equal(t, 1.0, value(t, reg, "zkrecipes_cache_syncs_total", append(l, "type", "resync")...))
	require.Equal(t, 0.0, value(t, reg, "zkrecipes_cache_stale", l...))
	require.Equal(t, 5.0, value(t, reg, "zkrecipes_cache_nodes", l...))

	tr.Close()
	require.Equal(t, 0.0, value(t, reg, "zkrecipes_cache_nodes", l...), "a closed cache holds nothing")
}

// A ServiceCache's instance count follows registrations, under the path
// label WithPathLabel maps.
func TestIntegration_Metrics_ServiceInstances(t *testing.T) {
	zktest.SkipIfShort(t)
	m := zkprom.New(zkprom.WithPathLabel(func(p string) string { return "svc:" + p }))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t, zkrecipes.WithObserver(m.Observer()))
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
	l := []string{"path", "svc:/services/api", "service", "api"}
	require.Equal(t, 2.0, value(t, reg, "zkrecipes_service_instances", l...))

	require.NoError(t, regs[0].Unregister(ctx))
	ch, err := changes.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, discovery.Left, ch.Kind)
	require.Equal(t, 1.0, value(t, reg, "zkrecipes_service_instances", l...))

	sc.Close()
	require.Equal(t, 0.0, value(t, reg, "zkrecipes_service_instances", l...))
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
