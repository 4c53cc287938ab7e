package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Peek shows the next message without counting a delivery: peeking more
// often than WithMaxDeliveries allows sends nothing to the dead-letter
// queue, and the first consumer still gets delivery 1. It skips claimed
// and delayed messages and puts higher priorities first.
func TestIntegration_Queue_PeekCountsNoDelivery(t *testing.T) {
	zktest.SkipIfShort(t)
	for _, inline := range []bool{false, true} {
		t.Run(map[bool]string{false: "Data", true: "Inline"}[inline], func(t *testing.T) {
			ctx := zktest.Context(t, 30*time.Second)
			c := zktest.Client(t)
			q := zktest.Must(queue.New(c, qpath, queue.WithMaxDeliveries(2), queue.WithInline(inline)))
			_, err := q.Peek(ctx)
			require.ErrorIs(t, err, queue.ErrEmpty)

			_, err = q.PutAt(ctx, []byte("later"), time.Now().Add(time.Hour))
			require.NoError(t, err)
			low := put(t, ctx, q, "low")
			high, err := q.PutPriority(ctx, []byte("high"), queue.DefaultPriority+1)
			require.NoError(t, err)

			for range 3 {
				p, err := q.Peek(ctx)
				require.NoError(t, err)
				assert.Equal(t, high, p.ID)
				assert.Equal(t, "high", string(p.Data))
				assert.Equal(t, 0, p.Deliveries)
				assert.Equal(t, queue.DefaultPriority+1, p.Priority)
			}
			m := take(t, ctx, q)
			assert.Equal(t, high, m.ID, "peeked three times with max deliveries 2: still delivered")
			assert.Equal(t, 1, m.Deliveries)

			p, err := q.Peek(ctx)
			require.NoError(t, err)
			assert.Equal(t, low, p.ID, "a claimed message is not the next one")
			require.NoError(t, m.Nack(ctx))
			p, err = q.Peek(ctx)
			require.NoError(t, err)
			assert.Equal(t, high, p.ID)
			assert.Equal(t, 1, p.Deliveries, "the nacked delivery counts")
			n, err := q.DeadLetterQueue().Len(ctx)
			require.NoError(t, err)
			assert.Zero(t, n)
		})
	}
}
