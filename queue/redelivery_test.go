package queue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Nack returns a message at once, in its place, and wakes a consumer of
// another session that waits on the queue.
func TestIntegration_Queue_NackRedelivers(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	cs := clients(t, 2)
	a, b := zktest.Must(queue.New(cs[0], qpath)), zktest.Must(queue.New(cs[1], qpath))
	id := put(t, ctx, a, "job")
	m := take(t, ctx, a)
	require.Equal(t, 1, m.Deliveries)

	got := make(chan *queue.Message, 1)
	go func() {
		m, err := b.Take(ctx)
		if err != nil {
			m = nil
		}
		got <- m
	}()
	select {
	case <-got:
		t.Fatal("a claimed message was handed out twice")
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, m.Nack(ctx))
	select {
	case m2 := <-got:
		require.NotNil(t, m2)
		assert.Equal(t, id, m2.ID)
		assert.Equal(t, 2, m2.Deliveries)
		require.NoError(t, m2.Ack(ctx))
	case <-time.After(10 * time.Second):
		t.Fatal("Nack did not wake the waiting consumer")
	}
	assert.Empty(t, claims(t, cs[0]))
}

// A consumer whose session expires while it holds a message: the message
// goes to a consumer that waits, the holder learns of the loss, and its
// late Ack does not remove the message from under the new holder.
func TestIntegration_Queue_SessionExpiryRedelivers(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	ns := zktest.Namespace(t)
	crashy, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns, zkrecipes.WithSessionTimeout(time.Second))
	other := zktest.ClientAt(t, zktest.Servers(t), ns)
	qa, qb := zktest.Must(queue.New(crashy, qpath)), zktest.Must(queue.New(other, qpath))
	ids := map[string]bool{}
	for _, p := range payloads("e", 3) {
		id, err := qb.Put(ctx, p)
		require.NoError(t, err)
		ids[id] = true
	}
	held := take(t, ctx, qa)

	got := make(chan *queue.Message, 3)
	go func() {
		for range 3 {
			m, err := qb.Take(ctx)
			if err != nil {
				return
			}
			got <- m
		}
	}()
	seen := map[string]int{}
	for range 2 { // the two messages nobody holds
		m := <-got
		seen[m.ID]++
		require.NoError(t, m.Ack(ctx))
	}

	d.Blackhole() // the holder is partitioned: its session expires
	select {
	case <-held.Lost():
	case <-time.After(15 * time.Second):
		t.Fatal("Lost did not close after the session expired")
	}
	var m *queue.Message
	select {
	case m = <-got:
	case <-time.After(15 * time.Second):
		t.Fatal("the message of the expired consumer was not redelivered")
	}
	assert.Equal(t, held.ID, m.ID)
	assert.Equal(t, 2, m.Deliveries)
	seen[m.ID]++
	d.Heal()
	require.ErrorIs(t, held.Ack(ctx), queue.ErrClaimLost)
	n, err := qb.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the late Ack did not remove the redelivered message")
	require.NoError(t, m.Ack(ctx))
	for id := range ids {
		assert.Equal(t, 1, seen[id], "id %s", id)
	}
}

func TestIntegration_Queue_DeadLetterAfterMaxDeliveries(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath, queue.WithMaxDeliveries(2)))
	id := put(t, ctx, q, "poison")
	put(t, ctx, q, "fine")
	for i := 1; i <= 2; i++ {
		m := take(t, ctx, q)
		require.Equal(t, id, m.ID)
		require.Equal(t, i, m.Deliveries)
		require.NoError(t, m.Nack(ctx))
	}
	m := take(t, ctx, q) // the third delivery is not made: dead-lettered instead
	assert.Equal(t, "fine", string(m.Data))
	require.NoError(t, m.Ack(ctx))
	_, err := q.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)

	dlq := q.DeadLetterQueue()
	assert.Equal(t, qpath+"/dead", dlq.Path())
	m = take(t, ctx, dlq)
	assert.Equal(t, "poison", string(m.Data))
	assert.Equal(t, 1, m.Deliveries)
	require.NoError(t, m.Ack(ctx))
}

// Crashes count as deliveries: a message that kills every consumer that
// takes it is dead-lettered, not redelivered forever.
func TestIntegration_Queue_DeadLetterCrashLoop(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	prod := zktest.Must(queue.New(zktest.ClientAt(t, zktest.Servers(t), ns), qpath, queue.WithDeadLetterPath("/dlq")))
	put(t, ctx, prod, "crash")
	for i := 1; i <= 3; i++ {
		c := zktest.ClientAt(t, zktest.Servers(t), ns)
		q := zktest.Must(queue.New(c, qpath, queue.WithMaxDeliveries(3), queue.WithDeadLetterPath("/dlq")))
		m := take(t, ctx, q)
		require.Equal(t, i, m.Deliveries)
		c.Close() // the consumer dies holding the message
	}
	c := zktest.ClientAt(t, zktest.Servers(t), ns)
	q := zktest.Must(queue.New(c, qpath, queue.WithMaxDeliveries(3), queue.WithDeadLetterPath("/dlq")))
	_, err := q.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)
	m := take(t, ctx, zktest.Must(queue.New(c, "/dlq")))
	assert.Equal(t, "crash", string(m.Data))
	require.NoError(t, m.Ack(ctx))
}

func TestIntegration_Queue_ExplicitDeadLetter(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath))
	_, err := q.PutPriority(ctx, []byte("reject me"), 4)
	require.NoError(t, err)
	m := take(t, ctx, q)
	require.NoError(t, m.DeadLetter(ctx))
	require.ErrorIs(t, m.Ack(ctx), queue.ErrSettled)
	n, err := q.Len(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	m = take(t, ctx, q.DeadLetterQueue())
	assert.Equal(t, "reject me", string(m.Data))
	assert.Equal(t, 4, m.Priority, "priority is kept")
	require.NoError(t, m.Ack(ctx))
	assert.Empty(t, claims(t, c))
}

// A Take cancelled while it waits, or at any moment of its claim, leaves
// no claim behind and loses nothing.
func TestIntegration_Queue_TakeCancelLeavesNoClaim(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	cs := clients(t, 2)
	prod, cons := zktest.Must(queue.New(cs[0], qpath)), zktest.Must(queue.New(cs[1], qpath))

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := cons.Take(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, claims(t, cs[0]))
	require.Eventually(t, func() bool { return len(children(t, cs[0], qpath+"/consumers")) == 0 }, 10*time.Second, 50*time.Millisecond,
		"an idle consumer unregisters")

	_, err = prod.PutBatch(ctx, payloads("c", 20))
	require.NoError(t, err)
	taken := 0
	for i := range 200 {
		cctx, cancel := context.WithTimeout(ctx, time.Duration(i%40)*100*time.Microsecond)
		m, err := cons.Take(cctx)
		cancel()
		if err == nil {
			taken++
			require.NoError(t, m.Ack(ctx))
			continue
		}
		require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	}
	require.Eventually(t, func() bool { return len(claims(t, cs[0])) == 0 }, 15*time.Second, 20*time.Millisecond,
		"claims of cancelled takes are released: %v", claims(t, cs[0]))
	n, err := prod.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 20-taken, n, "nothing lost")
	for range n {
		require.NoError(t, take(t, ctx, cons).Ack(ctx))
	}
}
