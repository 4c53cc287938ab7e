package queue_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Queue_PutTakeAckFIFO(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath))
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
		assert.Equal(t, queue.DefaultPriority, m.Priority)
		require.NoError(t, m.Ack(ctx))
		require.ErrorIs(t, m.Ack(ctx), queue.ErrSettled)
		require.ErrorIs(t, m.Nack(ctx), queue.ErrSettled)
	}
	n, err = q.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Empty(t, claims(t, c))
	_, err = q.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)
}

// Messages larger than MaxInline are stored as node data, smaller ones in
// the node's name; both kinds, and empty messages, round-trip and count
// deliveries.
func TestIntegration_Queue_DataSizes(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath))
	sizes := []int{0, 1, queue.MaxInline, queue.MaxInline + 1, 64 << 10, queue.MaxMessageSize}
	for i, n := range sizes {
		data := bytes.Repeat([]byte{byte('a' + i)}, n)
		_, err := q.Put(ctx, data)
		require.NoError(t, err, "size %d", n)
	}
	for _, n := range sizes {
		m := take(t, ctx, q)
		require.Equal(t, n, len(m.Data))
		require.NoError(t, m.Nack(ctx))
		m = take(t, ctx, q)
		require.Equal(t, n, len(m.Data), "Nack returns the message in its place")
		assert.Equal(t, 2, m.Deliveries, "size %d", n)
		require.NoError(t, m.Ack(ctx))
	}
}

func TestIntegration_Queue_BadInput(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath))

	_, err := q.Put(ctx, make([]byte, queue.MaxMessageSize+1))
	require.ErrorIs(t, err, queue.ErrTooLarge)
	_, err = q.PutPriority(ctx, []byte("x"), queue.MaxPriority+1)
	require.ErrorIs(t, err, queue.ErrInvalidPriority)
	_, err = q.PutPriority(ctx, []byte("x"), -1)
	require.ErrorIs(t, err, queue.ErrInvalidPriority)
	_, err = q.PutBatch(ctx, nil)
	require.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	_, err = q.PutBatch(ctx, make([][]byte, queue.MaxBatch+1))
	require.ErrorIs(t, err, queue.ErrTooLarge)
	require.ErrorIs(t, q.Remove(ctx, "no-such-id"), queue.ErrInvalidID)
	// Nothing was written: not even the queue's own nodes.
	ok, _, err := c.Exists(ctx, qpath)
	require.NoError(t, err)
	assert.False(t, ok)

	assert.PanicsWithValue(t, "queue: New: nil client", func() { _, _ = queue.New(nil, qpath) })
	for _, p := range []string{"relative", "/", "/a/"} {
		_, err = queue.New(c, p)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, "%q", p)
	}
	for _, o := range []queue.Option{queue.WithMaxItems(0), queue.WithBucketSize(queue.MaxBucketSize + 1),
		queue.WithMaxDeliveries(-1), queue.WithDeadLetterPath(qpath), queue.WithDeadLetterPath("x")} {
		_, err = queue.New(c, qpath, o)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
		assert.ErrorContains(t, err, "queue: New: With")
	}
	require.Error(t, q.Consume(ctx, nil))
	require.Error(t, q.Consume(ctx, func(context.Context, *queue.Message) error { return nil }, queue.WithConcurrency(0)))
}

// Take waits on a watch, not by polling: a put from another session wakes it.
func TestIntegration_Queue_TakeWaitsForPut(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	cs := clients(t, 2)
	consumer, producer := zktest.Must(queue.New(cs[0], qpath)), zktest.Must(queue.New(cs[1], qpath))
	got := make(chan *queue.Message, 1)
	errs := make(chan error, 1)
	go func() {
		m, err := consumer.Take(ctx)
		errs <- err
		got <- m
	}()
	select {
	case err := <-errs:
		t.Fatalf("Take returned on an empty queue: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	put(t, ctx, producer, "wake up")
	require.NoError(t, <-errs)
	m := <-got
	assert.Equal(t, "wake up", string(m.Data))
	require.NoError(t, m.Ack(ctx))
}

func TestIntegration_Queue_Remove(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath))
	a := put(t, ctx, q, "a")
	b := put(t, ctx, q, "b")
	cID := put(t, ctx, q, "c")
	require.NoError(t, q.Remove(ctx, b))
	require.ErrorIs(t, q.Remove(ctx, b), queue.ErrNotFound)

	// Removing a message that a consumer holds: its Ack still succeeds.
	m := take(t, ctx, q)
	require.Equal(t, a, m.ID)
	require.NoError(t, q.Remove(ctx, a))
	assert.Empty(t, claims(t, c))
	require.NoError(t, m.Ack(ctx))

	m = take(t, ctx, q)
	assert.Equal(t, cID, m.ID)
	require.NoError(t, m.Ack(ctx))
	_, err := q.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)
}

// Small buckets force producers to seal and roll over often; order holds
// across buckets and drained buckets are deleted.
func TestIntegration_Queue_BucketRollover(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	cs := clients(t, 3)
	p1 := zktest.Must(queue.New(cs[0], qpath, queue.WithBucketSize(4)))
	p2 := zktest.Must(queue.New(cs[1], qpath, queue.WithBucketSize(4)))
	cons := zktest.Must(queue.New(cs[2], qpath, queue.WithBucketSize(4)))
	var want []string
	for i := range 30 {
		p := p1
		if i%3 == 0 {
			p = p2
		}
		d := string(payloads("r", 30)[i])
		put(t, ctx, p, d)
		want = append(want, d)
	}
	buckets := children(t, cs[0], qpath+"/items")
	assert.GreaterOrEqual(t, len(buckets), 6)
	for _, b := range buckets {
		assert.LessOrEqual(t, len(children(t, cs[0], qpath+"/items/"+b)), 4+2, "bucket %s", b)
	}
	var got []string
	for range want {
		m := take(t, ctx, cons)
		got = append(got, string(m.Data))
		require.NoError(t, m.Ack(ctx))
	}
	assert.Equal(t, want, got, "FIFO across buckets and producers")
	_, err := cons.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)
	require.Eventually(t, func() bool { return len(children(t, cs[0], qpath+"/items")) == 1 }, 10*time.Second, 50*time.Millisecond,
		"drained buckets are deleted, the open one stays: %v", children(t, cs[0], qpath+"/items"))
	n, err := cons.Len(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestIntegration_Queue_IDs(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	q := zktest.Must(queue.New(c, qpath))
	id := put(t, ctx, q, "x")
	assert.True(t, strings.HasPrefix(id, "b-000-"), id)
	m := take(t, ctx, q)
	assert.Equal(t, id, m.ID)
	require.Len(t, claims(t, c), 1)
	claim := claims(t, c)[0]
	assert.True(t, strings.HasPrefix(id, claim[:len(claim)-10]), "claim %s of %s", claim, id)
	assert.True(t, strings.HasSuffix(id, claim[len(claim)-10:]), "claim %s of %s", claim, id)
	require.NoError(t, m.Ack(ctx))
}

// Consumers waiting on an empty queue send no requests: they wait on
// watches, also while a delayed message is pending (a timer).
func TestIntegration_Queue_WaitingDoesNotPoll(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	var reqs counter
	cons := zktest.ClientAt(t, zktest.Servers(t), ns, zkrecipes.WithDialer(reqs.dial))
	prod := zktest.Must(queue.New(zktest.ClientAt(t, zktest.Servers(t), ns), qpath))
	_, err := prod.PutAt(ctx, []byte("later"), time.Now().Add(time.Hour))
	require.NoError(t, err)
	q := zktest.Must(queue.New(cons, qpath))
	got := make(chan *queue.Message, 3)
	for range 3 { // three takers of one Queue share one listing and its watches
		go func() {
			if m, err := q.Take(ctx); err == nil {
				got <- m
			}
		}()
	}
	waitUntil(t, ctx, "three takers waiting", func() bool { return queue.Sleepers(q) == 3 })
	before := reqs.n.Load()
	time.Sleep(time.Second)
	assert.Zero(t, reqs.n.Load()-before, "requests while waiting")
	put(t, ctx, prod, "now")
	select {
	case m := <-got:
		assert.Equal(t, "now", string(m.Data))
		require.NoError(t, m.Ack(ctx))
	case <-time.After(10 * time.Second):
		t.Fatal("a put did not wake the waiting takers")
	}
}

// Small messages stay in node data by default; WithInline(true) puts them
// in the node name (which message ids carry), and consumers read both.
func TestIntegration_Queue_Inline(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	secret := []byte("secret-token")
	enc := base64.RawURLEncoding.EncodeToString(secret)
	for _, inline := range []bool{false, true} {
		var opts []queue.Option
		if inline {
			opts = append(opts, queue.WithInline(true))
		}
		q := zktest.Must(queue.New(c, qpath, opts...))
		id, err := q.Put(ctx, secret)
		require.NoError(t, err)
		assert.Equal(t, inline, strings.Contains(id, enc), "inline %v: id %s", inline, id)
		m, err := zktest.Must(queue.New(c, qpath)).Take(ctx)
		require.NoError(t, err)
		assert.Equal(t, secret, m.Data)
		require.NoError(t, m.Ack(ctx))
	}
}
