package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// In at-most-once mode a take removes the message: a consumer that dies
// holding it loses it, and it is never delivered twice.
func TestIntegration_Queue_AtMostOnce(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	prod := zktest.Must(queue.New(zktest.ClientAt(t, zktest.Servers(t), ns), qpath))
	_, err := prod.PutBatch(ctx, [][]byte{[]byte("a"), make([]byte, 1000), []byte("c")})
	require.NoError(t, err)

	dying := zktest.ClientAt(t, zktest.Servers(t), ns)
	q := zktest.Must(queue.New(dying, qpath, queue.WithAtMostOnce()))
	m := take(t, ctx, q)
	assert.Equal(t, "a", string(m.Data))
	assert.Nil(t, m.Lost())
	n, err := prod.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "taking removed it")
	dying.Close() // never acknowledged: lost, not redelivered

	c := zktest.ClientAt(t, zktest.Servers(t), ns)
	q = zktest.Must(queue.New(c, qpath, queue.WithAtMostOnce()))
	m = take(t, ctx, q)
	assert.Len(t, m.Data, 1000)
	require.ErrorIs(t, m.Nack(ctx), queue.ErrNotClaimed)
	m = take(t, ctx, q)
	assert.Equal(t, "c", string(m.Data))
	require.NoError(t, m.Ack(ctx))
	_, err = q.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)
	assert.Empty(t, claims(t, c))
}
