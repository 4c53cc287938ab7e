package zkprom_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/internal/observe/adaptertest"
	zkprom "github.com/zkrecipes/zkrecipes/metrics/prometheus"
)

// The shared cache scenario (adaptertest.RunCache), plus the last sync
// time and the stale series present at 0 from the first load on.
func TestIntegration_Metrics_Cache(t *testing.T) {
	m := zkprom.New()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	l := []string{"path", "/t", "kind", "tree"}
	adaptertest.RunCache(t, adaptertest.Cache{
		Observer: m.Observer(),
		Nodes:    func(t *testing.T) float64 { return value(t, reg, "zkrecipes_cache_nodes", l...) },
		Stale:    func(t *testing.T) float64 { return value(t, reg, "zkrecipes_cache_stale", l...) },
		Syncs: func(t *testing.T, typ string) float64 {
			return value(t, reg, "zkrecipes_cache_syncs_total", append(l, "type", typ)...)
		},
		Check: func(t *testing.T, step adaptertest.CacheStep, start time.Time) {
			if step != adaptertest.Loaded {
				return
			}
			require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP zkrecipes_cache_stale Caches stale now: they may miss changes until their resync.
# TYPE zkrecipes_cache_stale gauge
zkrecipes_cache_stale{kind="tree",path="/t"} 0
`), "zkrecipes_cache_stale"), "a series at 0 from the first load on, for sum() to see")
			require.GreaterOrEqual(t, value(t, reg, "zkrecipes_cache_last_sync_timestamp_seconds", l...), float64(start.Unix()))
		},
	})
}

// The shared service scenario (adaptertest.RunService), under the path
// label WithPathLabel maps.
func TestIntegration_Metrics_ServiceInstances(t *testing.T) {
	m := zkprom.New(zkprom.WithPathLabel(adaptertest.ServicePathLabel))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	adaptertest.RunService(t, m.Observer(), func(t *testing.T) float64 {
		return value(t, reg, "zkrecipes_service_instances", "path", "svc:/services/api", "service", "api")
	})
}
