package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Queue_PutTakeAckFIFO(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := testCtx(t, 30*time.Second)
	c := zktest.Client(t)
	q := queue.New(c, qpath)
	var ids []string
	for _, d := range payloads("m", 10) {
		id, err := q.Put(ctx, d)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	n, err := q.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	for i, d := range payloads("m", 10) {
		m := take(t, ctx, q)
		assert.Equal(t, ids[i], m.ID)
		assert.Equal(t, string(d), string(m.Data))
		assert.Equal(t, 1, m.Deliveries)
		require.NoError(t, m.Ack(ctx))
		require.ErrorIs(t, m.Ack(ctx), queue.ErrSettled)
	}
	n, err = q.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Empty(t, claims(t, c))
	_, err = q.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)
}
