package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A put whose reply is lost, and whose messages another consumer takes and
// acknowledges before the producer has reconnected, is not stored again
// (regression: chaos found messages stored twice: the producer looked for
// them, found nothing, since they had been consumed, and sent the put
// again). The reconnect to the one test server takes about a second, ample
// time for the consumer, which waits on a watch.
func TestIntegration_Queue_PutConsumedBeforeReply(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	d, fc, plain := faulty(t)
	q := zktest.Must(queue.New(fc, qpath))
	consumer := zktest.Must(queue.New(plain, qpath))
	put(t, ctx, q, "warm-up") // creates the queue's nodes
	require.NoError(t, take(t, ctx, consumer).Ack(ctx))

	for _, n := range []int{1, 3} {
		taken := make(chan string, n)
		go func() {
			for range n {
				m, err := consumer.Take(ctx)
				if !assert.NoError(t, err) {
					return
				}
				assert.NoError(t, m.Ack(ctx))
				taken <- m.ID
			}
		}()
		check := cutNextMulti(t, d, true) // sent again, not looked for
		ids, err := q.PutBatch(ctx, payloads("c", n))
		require.NoError(t, err)
		check()
		require.Len(t, ids, n)
		for range n {
			select {
			case <-taken:
			case <-ctx.Done():
				t.Fatal("the consumer did not get the messages")
			}
		}
		_, err = consumer.Poll(ctx)
		require.ErrorIs(t, err, queue.ErrEmpty, "batch of %d stored twice", n)
		length, err := consumer.Len(ctx)
		require.NoError(t, err)
		assert.Zero(t, length)
	}
}
