package queue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// deliveries counts how often each message was handled.
type deliveries struct {
	mu   sync.Mutex
	n    map[string]int
	want int
	all  chan struct{}
}

func newDeliveries(want int) *deliveries {
	return &deliveries{n: map[string]int{}, want: want, all: make(chan struct{})}
}

func (d *deliveries) record(data []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n[string(data)]++
	if len(d.n) == d.want && d.n[string(data)] == 1 {
		close(d.all)
	}
}

func (d *deliveries) counts() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.n))
	for k, v := range d.n {
		out[k] = v
	}
	return out
}

// N producers and M consumers, each its own session: every message is
// delivered exactly once when nothing fails.
func TestIntegration_Queue_ProducersConsumersExactlyOnce(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 90*time.Second)
	const producers, consumers, per = 3, 3, 200
	cs := clients(t, producers+consumers)
	got := newDeliveries(producers * per)
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	var cwg sync.WaitGroup
	errs := make(chan error, consumers+producers)
	for i := range consumers {
		q := zktest.Must(queue.New(cs[producers+i], qpath, queue.WithBucketSize(50)))
		cwg.Go(func() {
			err := q.Consume(cctx, func(_ context.Context, m *queue.Message) error {
				got.record(m.Data)
				return nil
			}, queue.WithConcurrency(2), queue.WithPrefetch(8))
			if !errors.Is(err, context.Canceled) {
				errs <- err
			}
		})
	}
	var pwg sync.WaitGroup
	for p := range producers {
		q := zktest.Must(queue.New(cs[p], qpath, queue.WithBucketSize(50)))
		pwg.Go(func() {
			for i := range per {
				var err error
				if i%10 == 0 {
					_, err = q.PutBatch(ctx, [][]byte{[]byte(fmt.Sprintf("p%d-%d", p, i))})
				} else {
					_, err = q.Put(ctx, []byte(fmt.Sprintf("p%d-%d", p, i)))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	pwg.Wait()
	select {
	case <-got.all:
	case err := <-errs:
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatalf("only %d of %d delivered", len(got.counts()), producers*per)
	}
	// Settle in-flight acknowledgements, then look for duplicates.
	stop()
	cwg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	counts := got.counts()
	require.Len(t, counts, producers*per)
	for k, n := range counts {
		require.Equal(t, 1, n, "message %s delivered %d times", k, n)
	}
	n, err := zktest.Must(queue.New(cs[0], qpath)).Len(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Empty(t, claims(t, cs[0]))
}

// Consume nacks failed messages, dead-letters them after WithMaxDeliveries,
// and when stopped returns the messages it held to the queue.
func TestIntegration_Queue_ConsumeFailuresAndStop(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath, queue.WithMaxDeliveries(3)))
	put(t, ctx, q, "fails")
	_, err := q.PutBatch(ctx, payloads("ok", 10))
	require.NoError(t, err)

	var calls atomic.Int32
	var handled atomic.Int32
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- q.Consume(cctx, func(_ context.Context, m *queue.Message) error {
			if string(m.Data) == "fails" {
				calls.Add(1)
				return errors.New("handler failed")
			}
			handled.Add(1)
			return nil
		}, queue.WithPrefetch(4))
	}()
	require.Eventually(t, func() bool { return handled.Load() == 10 && calls.Load() == 3 }, 20*time.Second, 10*time.Millisecond,
		"handled %d of 10, failing handler called %d times (want 3)", &handled, &calls)
	require.Eventually(t, func() bool {
		n, err := q.DeadLetterQueue().Len(ctx)
		return err == nil && n == 1
	}, 10*time.Second, 20*time.Millisecond)

	// Stop while messages are held but not started: they go back.
	block := make(chan struct{})
	q2 := zktest.Must(queue.New(c, "/other"))
	_, err = q2.PutBatch(ctx, payloads("held", 6))
	require.NoError(t, err)
	cctx2, stop2 := context.WithCancel(ctx)
	done2 := make(chan error, 1)
	started := make(chan struct{}, 6)
	go func() {
		done2 <- q2.Consume(cctx2, func(hctx context.Context, m *queue.Message) error {
			started <- struct{}{}
			select {
			case <-block:
			case <-hctx.Done(): // cancelled when Consume stops
			}
			return hctx.Err()
		}, queue.WithPrefetch(4))
	}()
	<-started
	require.Eventually(t, func() bool { return len(children(t, c, "/other/claims")) == 4 }, 10*time.Second, 10*time.Millisecond,
		"prefetch holds 4")
	stop2()
	require.ErrorIs(t, <-done2, context.Canceled)
	assert.Empty(t, children(t, c, "/other/claims"), "nothing left claimed after Consume returned")
	n, err := q2.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 6, n, "the interrupted message and the prefetched ones are back")
	close(block)

	stop()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.EqualValues(t, 3, calls.Load())
}
