package queue_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Servers of a 3-node ensemble are restarted, the leader among them, while
// producers put and consumers consume: every message whose Put succeeded
// is delivered (at least once).
func TestIntegration_Queue_EnsembleRestarts(t *testing.T) {
	zktest.SkipIfShort(t)
	t.Parallel() // slow: let the other tests run meanwhile
	ctx := zktest.Context(t, 120*time.Second)
	e := zktest.NewEnsemble(t, 3)
	ns := zktest.Namespace(t)
	const producers, consumers, per = 2, 2, 150
	cs := make([]*zkrecipes.Client, producers+consumers)
	for i := range cs {
		cs[i] = zktest.ClientAt(t, e.Addrs(), ns, zkrecipes.WithSessionTimeout(8*time.Second), zkrecipes.WithDialer(net.DialTimeout))
	}
	got := newDeliveries(producers * per)
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	var cwg sync.WaitGroup
	for i := range consumers {
		q := zktest.Must(queue.New(cs[producers+i], qpath, queue.WithBucketSize(40)))
		cwg.Go(func() {
			_ = q.Consume(cctx, func(_ context.Context, m *queue.Message) error {
				got.record(m.Data)
				return nil
			}, queue.WithPrefetch(4))
		})
	}
	var putErrs atomic.Int64
	var pwg sync.WaitGroup
	for p := range producers {
		q := zktest.Must(queue.New(cs[p], qpath, queue.WithBucketSize(40)))
		pwg.Go(func() {
			for i := range per {
				data := []byte(fmt.Sprintf("p%d-%d", p, i))
				for { // a failed Put is retried: the message may then be stored twice
					pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
					_, err := q.Put(pctx, data)
					cancel()
					if err == nil || ctx.Err() != nil {
						break
					}
					putErrs.Add(1)
				}
				time.Sleep(5 * time.Millisecond) // spread the puts over the restarts
			}
		})
	}
	// Restart a follower, then the leader, then another member.
	for _, pick := range []string{"follower", "leader", "follower"} {
		time.Sleep(400 * time.Millisecond)
		i := max(e.Leader(), 0)
		if pick == "follower" {
			i = (i + 1) % 3
		}
		t.Logf("restarting member %d (%s)", i, pick)
		require.NoError(t, e.Server(i).Stop())
		time.Sleep(300 * time.Millisecond)
		require.NoError(t, e.Server(i).Restart())
	}
	pwg.Wait()
	select {
	case <-got.all:
	case <-time.After(60 * time.Second):
	}
	stop()
	cwg.Wait()
	counts := got.counts()
	dups := 0
	for p := range producers {
		for i := range per {
			k := fmt.Sprintf("p%d-%d", p, i)
			require.GreaterOrEqual(t, counts[k], 1, "message %s lost", k)
			dups += counts[k] - 1
		}
	}
	t.Logf("%d messages, %d duplicates, %d failed puts retried", producers*per, dups, putErrs.Load())
	n, err := zktest.Must(queue.New(cs[0], qpath)).Len(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}
