package zkotel_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/lock"
	zkotel "github.com/zkrecipes/zkrecipes/metrics/otel"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestMain(m *testing.M) { os.Exit(zktest.Main(m, zktest.WithLeakCheck())) }

// A client observed by the adapter fills the instruments; a manual reader
// reads them back.
func TestIntegration_Metrics(t *testing.T) {
	zktest.SkipIfShort(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	m, err := zkotel.New(mp)
	require.NoError(t, err)
	c, d := zktest.FaultyClient(t, zkrecipes.WithObserver(m.Observer()))
	ctx := zktest.Context(t, 30*time.Second)

	mu := zktest.Must(lock.NewMutex(c, "/lock"))
	require.NoError(t, mu.Lock(ctx))
	require.NoError(t, mu.Unlock(ctx))

	e := zktest.Must(election.New(c, "/election"))
	term, err := e.Campaign(ctx)
	require.NoError(t, err)
	require.Equal(t, 1.0, read(t, reader, "zkrecipes.leader", "path", "/election"))
	require.NoError(t, term.Resign(ctx))

	q := zktest.Must(queue.New(c, "/queue"))
	_, err = q.Put(ctx, []byte("a"))
	require.NoError(t, err)
	msg, err := q.Take(ctx)
	require.NoError(t, err)
	require.NoError(t, msg.Nack(ctx))
	msg, err = q.Take(ctx)
	require.NoError(t, err)
	require.NoError(t, msg.Ack(ctx))

	sub := c.Subscribe()
	defer sub.Close()
	d.Cut()
	for {
		ch, err := sub.Next(ctx)
		require.NoError(t, err)
		if ch.State == zkrecipes.Reconnected {
			break
		}
	}

	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"zkrecipes.op.in_flight", []string{"op", "create"}, 0},
		{"zkrecipes.connection.state", []string{"state", "Reconnected"}, 1},
		{"zkrecipes.connection.state", []string{"state", "Suspended"}, 0},
		{"zkrecipes.connection.changes", []string{"state", "Reconnected"}, 1},
		{"zkrecipes.suspension.duration", []string{"outcome", "reconnected"}, 1},
		{"zkrecipes.lock.wait", []string{"path", "/lock", "kind", "mutex", "result", "ok"}, 1},
		{"zkrecipes.lock.hold", []string{"path", "/lock", "kind", "mutex"}, 1},
		{"zkrecipes.lock.held", []string{"path", "/lock", "kind", "mutex"}, 0},
		{"zkrecipes.leader", []string{"path", "/election"}, 0},
		{"zkrecipes.leadership.changes", []string{"path", "/election", "change", "resigned"}, 1},
		{"zkrecipes.queue.put.duration", []string{"path", "/queue", "result", "ok"}, 1},
		{"zkrecipes.queue.put.messages", []string{"path", "/queue"}, 1},
		{"zkrecipes.queue.take.duration", []string{"path", "/queue", "result", "ok"}, 2},
		{"zkrecipes.queue.redeliveries", []string{"path", "/queue"}, 1},
	} {
		require.Equal(t, tc.want, read(t, reader, tc.name, tc.labels...), "%s%v", tc.name, tc.labels)
	}
	require.Positive(t, read(t, reader, "zkrecipes.op.duration", "op", "create", "result", "ok"))
}

// read returns the value of instrument name's data point with the given
// attributes: a sum's value, a histogram's count; 0 if there is none.
func read(t *testing.T, r sdkmetric.Reader, name string, kv ...string) float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	match := func(set attribute.Set) bool {
		for i := 0; i+1 < len(kv); i += 2 {
			if v, ok := set.Value(attribute.Key(kv[i])); !ok || v.AsString() != kv[i+1] {
				return false
			}
		}
		return true
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range data.DataPoints {
					if match(p.Attributes) {
						return float64(p.Value)
					}
				}
			case metricdata.Gauge[float64]:
				for _, p := range data.DataPoints {
					if match(p.Attributes) {
						return p.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range data.DataPoints {
					if match(p.Attributes) {
						return float64(p.Count)
					}
				}
			}
		}
	}
	return 0
}
