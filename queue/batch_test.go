package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Queue_PutBatchAtomic(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath))
	put(t, ctx, q, "before")

	// One oversized message: nothing of the batch is written.
	bad := payloads("bad", 5)
	bad[3] = make([]byte, queue.MaxMessageSize+1)
	_, err := q.PutBatch(ctx, bad)
	require.ErrorIs(t, err, queue.ErrTooLarge)
	// Together too large for one transaction, each alone fine.
	big := [][]byte{make([]byte, 600<<10), make([]byte, 600<<10)}
	_, err = q.PutBatch(ctx, big)
	require.ErrorIs(t, err, queue.ErrTooLarge)
	n, err := q.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	batch := payloads("ok", 50)
	ids, err := q.PutBatch(ctx, batch)
	require.NoError(t, err)
	require.Len(t, ids, 50)
	put(t, ctx, q, "after")

	want := append([]string{"before"}, strs(batch)...)
	want = append(want, "after")
	for i, w := range want {
		m := take(t, ctx, q)
		require.Equal(t, w, string(m.Data))
		if i >= 1 && i <= 50 {
			assert.Equal(t, ids[i-1], m.ID)
		}
		require.NoError(t, m.Ack(ctx))
	}
}

// A batch is stored in one bucket even when it overshoots the bucket size;
// the producer rolls over afterwards and order holds.
func TestIntegration_Queue_PutBatchRollover(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath, queue.WithBucketSize(10)))
	var want []string
	for i := range 5 {
		b := payloads("b"+string(rune('a'+i)), 7)
		_, err := q.PutBatch(ctx, b)
		require.NoError(t, err)
		want = append(want, strs(b)...)
	}
	n, err := q.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 35, n)
	for _, w := range want {
		m := take(t, ctx, q)
		require.Equal(t, w, string(m.Data))
		require.NoError(t, m.Ack(ctx))
	}
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}
