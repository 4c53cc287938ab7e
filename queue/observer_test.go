package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/observe/observetest"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Puts and takes are timed; a message handed out again is a redelivery,
// and one past its deliveries goes to the dead-letter queue.
func TestIntegration_Observer_QueueEvents(t *testing.T) {
	zktest.SkipIfShort(t)
	rec := observetest.New()
	ctx := zktest.Context(t, 30*time.Second)
	c := clients(t, 1, zkrecipes.WithObserver(rec.Observer()))[0]
	q := zktest.Must(queue.New(c, qpath, queue.WithMaxDeliveries(2)))

	put(t, ctx, q, "job")
	_, err := q.PutBatch(ctx, [][]byte{[]byte("b1"), []byte("b2")})
	require.NoError(t, err)
	m := take(t, ctx, q)
	require.NoError(t, m.Nack(ctx))
	m = take(t, ctx, q) // the second delivery
	require.Equal(t, 2, m.Deliveries)
	require.NoError(t, m.Nack(ctx))
	for range 2 { // the third is dead-lettered: the batch's messages come out
		require.NoError(t, take(t, ctx, q).Ack(ctx))
	}
	_, err = q.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)

	rec.Read(func(r *observetest.Recorder) {
		require.Len(t, r.Puts, 2, "a dead-letter move is no put")
		require.Equal(t, []int{1, 2}, []int{r.Puts[0].Messages, r.Puts[1].Messages})
		for _, e := range r.Puts {
			require.Equal(t, "ok", e.Result)
			require.Positive(t, e.Duration)
		}
		var results []string
		for _, e := range r.Takes {
			results = append(results, e.Result)
		}
		require.Equal(t, []string{"ok", "ok", "ok", "ok", "empty"}, results)
		require.Len(t, r.Redels, 1)
		require.Equal(t, zkrecipes.QueueEvent{Path: qpath, Deliveries: 2}, r.Redels[0])
		require.Len(t, r.Letters, 1)
		require.Equal(t, zkrecipes.QueueEvent{Path: qpath, Deliveries: 3}, r.Letters[0])
	})
}
