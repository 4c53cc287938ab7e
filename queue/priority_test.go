package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Queue_Priorities(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath, queue.WithBucketSize(3)))
	puts := []struct {
		data string
		prio int
	}{{"low-1", 0}, {"high-1", 9}, {"mid-1", 5}, {"low-2", 0}, {"high-2", 9}, {"top", queue.MaxPriority}, {"mid-2", 5}, {"high-3", 9}, {"high-4", 9}}
	for _, p := range puts {
		_, err := q.PutPriority(ctx, []byte(p.data), p.prio)
		require.NoError(t, err)
	}
	want := []string{"top", "high-1", "high-2", "high-3", "high-4", "mid-1", "mid-2", "low-1", "low-2"}
	for _, w := range want {
		m := take(t, ctx, q)
		require.Equal(t, w, string(m.Data))
		require.NoError(t, m.Ack(ctx))
	}
}

// A consumer working through a low-priority backlog sees a high-priority
// message put meanwhile (by another session) before the rest of the backlog.
func TestIntegration_Queue_PriorityOvertakesBacklog(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	cs := clients(t, 2)
	prod, cons := zktest.Must(queue.New(cs[0], qpath)), zktest.Must(queue.New(cs[1], qpath))
	_, err := prod.PutBatch(ctx, payloads("backlog", 20))
	require.NoError(t, err)
	m := take(t, ctx, cons) // the consumer now has the backlog listed
	require.NoError(t, m.Ack(ctx))
	_, err = prod.PutPriority(ctx, []byte("urgent"), 7)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		m := take(t, ctx, cons)
		require.NoError(t, m.Ack(ctx))
		return string(m.Data) == "urgent"
	}, 10*time.Second, time.Millisecond)
	n, err := cons.Len(ctx)
	require.NoError(t, err)
	assert.Greater(t, n, 10, "urgent overtook most of the backlog")
}

func TestIntegration_Queue_Delays(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	cs := clients(t, 2)
	prod, cons := zktest.Must(queue.New(cs[0], qpath)), zktest.Must(queue.New(cs[1], qpath))
	start := time.Now()
	due := start.Add(1500 * time.Millisecond)
	_, err := prod.PutAt(ctx, []byte("later"), due)
	require.NoError(t, err)
	_, err = prod.PutAt(ctx, []byte("past"), start.Add(-time.Hour))
	require.NoError(t, err)
	put(t, ctx, prod, "now")

	m := take(t, ctx, cons)
	assert.Equal(t, "past", string(m.Data))
	require.NoError(t, m.Ack(ctx))
	m = take(t, ctx, cons)
	assert.Equal(t, "now", string(m.Data))
	require.NoError(t, m.Ack(ctx))
	_, err = cons.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty, "a delayed message is invisible")
	n, err := cons.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "Len counts delayed messages")

	m = take(t, ctx, cons) // waits on a timer for the delayed message
	assert.Equal(t, "later", string(m.Data))
	assert.False(t, time.Now().Before(due), "delivered at %v, before %v", time.Now(), due)
	assert.Less(t, time.Since(due), 3*time.Second)
	require.NoError(t, m.Ack(ctx))
}
