package zkprom_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/lock"
	zkprom "github.com/zkrecipes/zkrecipes/metrics/prometheus"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestMain(m *testing.M) { os.Exit(zktest.Main(m, zktest.WithLeakCheck())) }

// A client observed by the adapter fills every family: operations,
// connection states, locks, leadership and queues; the registry's text
// exposition shows them.
func TestIntegration_Metrics(t *testing.T) {
	zktest.SkipIfShort(t)
	m := zkprom.New()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	c, d := zktest.FaultyClient(t, zkrecipes.WithObserver(m.Observer()))
	ctx := zktest.Context(t, 30*time.Second)

	mu := zktest.Must(lock.NewMutex(c, "/lock"))
	require.NoError(t, mu.Lock(ctx))
	require.ErrorIs(t, zktest.Must(lock.NewMutex(c, "/lock")).TryLock(ctx), lock.ErrLocked)
	require.NoError(t, mu.Unlock(ctx))

	e := zktest.Must(election.New(c, "/election"))
	term, err := e.Campaign(ctx)
	require.NoError(t, err)
	require.Equal(t, 1.0, value(t, reg, "zkrecipes_leader", "path", "/election"), "leader while the term lasts")
	require.NoError(t, term.Resign(ctx))

	q := zktest.Must(queue.New(c, "/queue"))
	_, err = q.PutBatch(ctx, [][]byte{[]byte("a"), []byte("b")})
	require.NoError(t, err)
	msg, err := q.Take(ctx)
	require.NoError(t, err)
	require.NoError(t, msg.Nack(ctx))
	msg, err = q.Take(ctx) // redelivered
	require.NoError(t, err)
	require.NoError(t, msg.Ack(ctx))

	reg.MustRegister(m.QueueDepth(5*time.Second, q))
	require.Equal(t, 1.0, value(t, reg, "zkrecipes_queue_depth", "path", "/queue"), "b is left")

	sub := c.Subscribe()
	defer sub.Close()
	d.Cut()
	waitState(t, ctx, sub, zkrecipes.Reconnected)

	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"zkrecipes_op_in_flight", []string{"op", "create"}, 0},
		{"zkrecipes_connection_state", []string{"state", "Reconnected"}, 1},
		{"zkrecipes_connection_state", []string{"state", "Suspended"}, 0},
		{"zkrecipes_connection_changes_total", []string{"state", "Reconnected"}, 1},
		{"zkrecipes_suspension_duration_seconds", []string{"outcome", "reconnected"}, 1},
		{"zkrecipes_lock_wait_seconds", []string{"path", "/lock", "kind", "mutex", "result", "ok"}, 1},
		{"zkrecipes_lock_wait_seconds", []string{"path", "/lock", "kind", "mutex", "result", "busy"}, 1},
		{"zkrecipes_lock_hold_seconds", []string{"path", "/lock", "kind", "mutex"}, 1},
		{"zkrecipes_lock_held", []string{"path", "/lock", "kind", "mutex"}, 0},
		{"zkrecipes_leader", []string{"path", "/election"}, 0},
		{"zkrecipes_leadership_changes_total", []string{"path", "/election", "change", "elected"}, 1},
		{"zkrecipes_leadership_changes_total", []string{"path", "/election", "change", "resigned"}, 1},
		{"zkrecipes_queue_put_duration_seconds", []string{"path", "/queue", "result", "ok"}, 1},
		{"zkrecipes_queue_put_messages_total", []string{"path", "/queue"}, 2},
		{"zkrecipes_queue_take_duration_seconds", []string{"path", "/queue", "result", "ok"}, 2},
		{"zkrecipes_queue_redeliveries_total", []string{"path", "/queue"}, 1},
	} {
		require.Equal(t, tc.want, value(t, reg, tc.name, tc.labels...), "%s%v", tc.name, tc.labels)
	}
	require.Positive(t, value(t, reg, "zkrecipes_op_duration_seconds", "op", "create", "result", "ok"))

	// The text exposition, as /metrics serves it.
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP zkrecipes_sessions_lost_total Sessions lost, by reason (expired, timeout, new_session).
# TYPE zkrecipes_sessions_lost_total counter
`), "zkrecipes_sessions_lost_total"), "no session lost yet: the family has no series")
}

// A session lost to a partition is counted with its reason.
func TestIntegration_Metrics_SessionLost(t *testing.T) {
	zktest.SkipIfShort(t)
	m := zkprom.New(zkprom.WithNamespace("zk"))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	c, d := zktest.FaultyClient(t, zkrecipes.WithObserver(m.Observer()), zkrecipes.WithSessionTimeout(time.Second))
	ctx := zktest.Context(t, 30*time.Second)
	sub := c.Subscribe()
	defer sub.Close()
	d.Blackhole()
	waitState(t, ctx, sub, zkrecipes.Lost)
	d.Heal()
	waitState(t, ctx, sub, zkrecipes.Connected)
	require.Equal(t, 1.0, value(t, reg, "zk_sessions_lost_total", "reason", "timeout"))
	require.Equal(t, 1.0, value(t, reg, "zk_suspension_duration_seconds", "outcome", "lost"))
	require.Equal(t, 1.0, value(t, reg, "zk_connection_state", "state", "Connected"))
	require.Equal(t, 0.0, value(t, reg, "zk_connection_state", "state", "Lost"))
}

func waitState(t *testing.T, ctx context.Context, sub *zkrecipes.Subscription, want zkrecipes.State) {
	t.Helper()
	for {
		ch, err := sub.Next(ctx)
		require.NoError(t, err, "waiting for %v", want)
		if ch.State == want {
			return
		}
	}
}

// value returns the value of the series of family name with the given
// label pairs: a counter's or gauge's value, a histogram's sample count.
func value(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	fams, err := g.Gather()
	require.NoError(t, err)
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}
