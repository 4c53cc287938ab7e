package zkotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/discovery"
	zkotel "github.com/zkrecipes/zkrecipes/metrics/otel"
	"github.com/zkrecipes/zkrecipes/zktest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// A tree cache's size, staleness, syncs and age: the size is the node
// count after the load and follows changes; a suspension makes it stale
// until the resync after the reconnection, which is counted.
func TestIntegration_Metrics_Cache(t *testing.T) {
	zktest.SkipIfShort(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	m, err := zkotel.New(mp)
	require.NoError(t, err)
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
	start := time.Now()
	require.NoError(t, tr.Start(ctx))
	l := []string{"path", "/t", "kind", "tree"}
	require.Equal(t, 4.0, read(t, reader, "zkrecipes.cache.nodes", l...))
	require.Equal(t, 1.0, read(t, reader, "zkrecipes.cache.syncs", append(l, "type", "initial")...))
	require.Equal(t, 0.0, read(t, reader, "zkrecipes.cache.stale", l...))
	age := read(t, reader, "zkrecipes.cache.sync.age", l...)
	require.Positive(t, age)
	require.LessOrEqual(t, age, time.Since(start).Seconds())

	_, err = w.Create(ctx, "/t/b/y", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	waitCache(t, ctx, sub, cache.Created, "/t/b/y")
	require.Equal(t, 5.0, read(t, reader, "zkrecipes.cache.nodes", l...))

	d.Blackhole()
	waitCache(t, ctx, sub, cache.Stale, "/t")
	require.Equal(t, 1.0, read(t, reader, "zkrecipes.cache.stale", l...), "stale while suspended")
	require.Greater(t, read(t, reader, "zkrecipes.cache.sync.age", l...), age, "the age grows while stale")
	d.Heal()
	resynced := time.Now()
	waitCache(t, ctx, sub, cache.Reinitialized, "/t")
	require.Equal(t, 1.0, read(t, reader, "zkrecipes.cache.syncs", append(l, "type", "resync")...))
	require.Equal(t, 0.0, read(t, reader, "zkrecipes.cache.stale", l...))
	require.LessOrEqual(t, read(t, reader, "zkrecipes.cache.sync.age", l...), time.Since(resynced).Seconds(), "the resync restarts the age")

	tr.Close()
	require.Equal(t, 0.0, read(t, reader, "zkrecipes.cache.nodes", l...), "a closed cache holds nothing")
}

// A ServiceCache's instance count follows registrations.
func TestIntegration_Metrics_ServiceInstances(t *testing.T) {
	zktest.SkipIfShort(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	m, err := zkotel.New(mp, zkotel.WithPathLabel(func(p string) string { return "svc:" + p }))
	require.NoError(t, err)
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
	require.Equal(t, 2.0, read(t, reader, "zkrecipes.service.instances", l...))

	require.NoError(t, regs[0].Unregister(ctx))
	ch, err := changes.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, discovery.Left, ch.Kind)
	require.Equal(t, 1.0, read(t, reader, "zkrecipes.service.instances", l...))

	sc.Close()
	require.Equal(t, 0.0, read(t, reader, "zkrecipes.service.instances", l...))
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
