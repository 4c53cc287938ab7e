package zkotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/internal/observe/adaptertest"
	zkotel "github.com/zkrecipes/zkrecipes/metrics/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// The shared cache scenario (adaptertest.RunCache), plus the sync age:
// bounded by the time since the load, growing while stale, restarted by
// the resync.
func TestIntegration_Metrics_Cache(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	m, err := zkotel.New(mp)
	require.NoError(t, err)
	l := []string{"path", "/t", "kind", "tree"}
	var age float64
	adaptertest.RunCache(t, adaptertest.Cache{
		Observer: m.Observer(),
		Nodes:    func(t *testing.T) float64 { return read(t, reader, "zkrecipes.cache.nodes", l...) },
		Stale:    func(t *testing.T) float64 { return read(t, reader, "zkrecipes.cache.stale", l...) },
		Syncs: func(t *testing.T, typ string) float64 {
			return read(t, reader, "zkrecipes.cache.syncs", append(l, "type", typ)...)
		},
		Check: func(t *testing.T, step adaptertest.CacheStep, start time.Time) {
			switch step {
			case adaptertest.Loaded:
				age = read(t, reader, "zkrecipes.cache.sync.age", l...)
				require.Positive(t, age)
				require.LessOrEqual(t, age, time.Since(start).Seconds())
			case adaptertest.Stale:
				require.Greater(t, read(t, reader, "zkrecipes.cache.sync.age", l...), age, "the age grows while stale")
			case adaptertest.Resynced:
				require.LessOrEqual(t, read(t, reader, "zkrecipes.cache.sync.age", l...), time.Since(start).Seconds(), "the resync restarts the age")
			}
		},
	})
}

// The shared service scenario (adaptertest.RunService).
func TestIntegration_Metrics_ServiceInstances(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	m, err := zkotel.New(mp, zkotel.WithPathLabel(adaptertest.ServicePathLabel))
	require.NoError(t, err)
	adaptertest.RunService(t, m.Observer(), func(t *testing.T) float64 {
		return read(t, reader, "zkrecipes.service.instances", "path", "svc:/services/api", "service", "api")
	})
}
