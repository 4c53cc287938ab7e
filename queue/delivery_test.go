package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// failReads makes the next n item reads fail: each of the n attempts of a
// read has its connection cut once the server answered it. It returns a
// check that every cut fired.
func failReads(t *testing.T, ctx context.Context, d *zktest.FaultDialer, reads int) func() {
	t.Helper()
	cuts := reads * retry.MaxDrops // the client sends a dropped read again, MaxDrops times
	fired := make(chan int, 1)
	go func() {
		n := 0
		defer func() { fired <- n }()
		for ; n < cuts; n++ {
			d.CutAfterRequest(zktest.OpGetData)
			// Re-arm as soon as the cut fired: the read is sent again only
			// after a reconnection and a backoff.
			for d.Armed() {
				if ctx.Err() != nil {
					return
				}
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	return func() {
		t.Helper()
		select {
		case n := <-fired:
			require.Equal(t, cuts, n, "cuts fired")
		case <-ctx.Done():
			t.Fatal("the reads were not all cut")
		}
	}
}

// A delivery counts only when the message is handed to the caller: a take
// whose read of the message fails (while its session lives) does not cost
// one, so a message with WithMaxDeliveries(n) still reaches n handlers
// (regression: each failed read dropped the claim, whose count stayed, and
// the message was dead-lettered after fewer hand-outs).
func TestIntegration_Queue_FailedReadIsNoDelivery(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	d, fc, plain := faulty(t)
	q := zktest.Must(queue.New(fc, qpath, queue.WithMaxDeliveries(2)))
	put(t, ctx, q, "flaky")
	for i := 1; i <= 2; i++ {
		check := failReads(t, ctx, d, i) // up to 2 failed reads a take
		m := take(t, ctx, q)
		check()
		assert.Equal(t, "flaky", string(m.Data))
		require.Equal(t, i, m.Deliveries, "hand-out %d", i)
		require.NoError(t, m.Nack(ctx))
	}
	_, err := q.Poll(ctx) // the third delivery is not made: dead-lettered instead
	require.ErrorIs(t, err, queue.ErrEmpty)
	n, err := zktest.Must(queue.New(plain, qpath)).DeadLetterQueue().Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// A take gives up a claim whose read keeps failing, and that claim counts:
// a message that cannot be read ends in the dead-letter queue instead of
// holding its consumer forever.
func TestIntegration_Queue_UnreadableIsDeadLettered(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	d, fc, plain := faulty(t)
	q := zktest.Must(queue.New(fc, qpath, queue.WithMaxDeliveries(1)))
	put(t, ctx, q, "unreadable")
	check := failReads(t, ctx, d, 3) // every read of the first take
	_, err := q.Poll(ctx)
	check()
	require.ErrorIs(t, err, queue.ErrEmpty, "the second claim finds the count spent")
	m := take(t, ctx, zktest.Must(queue.New(plain, qpath)).DeadLetterQueue())
	assert.Equal(t, "unreadable", string(m.Data))
	require.NoError(t, m.Ack(ctx))
}
