package queue_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// faulty returns a client whose connections d can cut, and a plain client,
// sharing a namespace.
func faulty(t *testing.T) (*zktest.FaultDialer, *zkrecipes.Client, *zkrecipes.Client) {
	t.Helper()
	ns := zktest.Namespace(t)
	fc, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns)
	return d, fc, zktest.ClientAt(t, zktest.Servers(t), ns)
}

// cutNextMulti loses the reply of the next transaction and returns a check
// that it was sent and, unless resend, that the client synced before it
// looked for the transaction's effect: the server it reconnected to may
// not have applied the transaction yet. (Nothing else in the queue syncs;
// other goroutines' requests interleave, so only its presence is checked.)
func cutNextMulti(t *testing.T, d *zktest.FaultDialer, resend ...bool) func() {
	t.Helper()
	from := len(d.Sent())
	d.CutAfterRequest(zktest.OpMulti)
	return func() {
		t.Helper()
		require.False(t, d.Armed(), "no transaction was sent")
		if len(resend) == 0 {
			assert.Contains(t, d.Sent()[from:], zktest.OpSync, "sync before the lookup")
		}
	}
}

// Every transaction of the queue is recognised after its reply was lost
// (the client does not retry a transaction that may have been applied):
// each effect happens exactly once.
func TestIntegration_Queue_LostReplies(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	d, fc, plain := faulty(t)
	q := zktest.Must(queue.New(fc, qpath))
	obs := zktest.Must(queue.New(plain, qpath))
	length := func() int {
		n, err := obs.Len(ctx)
		require.NoError(t, err)
		return n
	}
	put(t, ctx, q, "warm-up") // creates the queue's nodes
	require.NoError(t, take(t, ctx, q).Ack(ctx))

	t.Run("Put", func(t *testing.T) {
		check := cutNextMulti(t, d)
		id, err := q.Put(ctx, []byte("p"))
		require.NoError(t, err)
		check()
		require.Equal(t, 1, length())
		m := take(t, ctx, obs)
		assert.Equal(t, id, m.ID)
		require.NoError(t, m.Ack(ctx))
	})
	t.Run("PutLarge", func(t *testing.T) {
		check := cutNextMulti(t, d)
		data := bytes.Repeat([]byte("L"), 4096)
		_, err := q.Put(ctx, data)
		require.NoError(t, err)
		check()
		require.Equal(t, 1, length())
		m := take(t, ctx, obs)
		assert.Equal(t, data, m.Data)
		require.NoError(t, m.Ack(ctx))
	})
	t.Run("PutBatch", func(t *testing.T) {
		check := cutNextMulti(t, d)
		ids, err := q.PutBatch(ctx, payloads("b", 10))
		require.NoError(t, err)
		check()
		require.Len(t, ids, 10)
		require.Equal(t, 10, length())
		got := map[string]bool{}
		for range ids {
			m := take(t, ctx, obs)
			got[m.ID] = true
			require.NoError(t, m.Ack(ctx))
		}
		for _, id := range ids {
			assert.True(t, got[id], id)
		}
	})
	t.Run("Claim", func(t *testing.T) {
		id := put(t, ctx, obs, "c")
		check := cutNextMulti(t, d)
		m := take(t, ctx, q)
		check()
		assert.Equal(t, id, m.ID)
		assert.Equal(t, 1, m.Deliveries)
		assert.Len(t, claims(t, plain), 1)
		_, err := obs.Poll(ctx)
		require.ErrorIs(t, err, queue.ErrEmpty, "claimed once, by us")
		require.NoError(t, m.Ack(ctx))
	})
	t.Run("ClaimLarge", func(t *testing.T) {
		_, err := obs.Put(ctx, bytes.Repeat([]byte("C"), 1000))
		require.NoError(t, err)
		check := cutNextMulti(t, d)
		m := take(t, ctx, q)
		check()
		assert.Equal(t, 1, m.Deliveries)
		require.NoError(t, m.Ack(ctx))
		require.Zero(t, length())
	})
	t.Run("Ack", func(t *testing.T) {
		put(t, ctx, obs, "a")
		m := take(t, ctx, q)
		check := cutNextMulti(t, d)
		require.NoError(t, m.Ack(ctx))
		check()
		require.Zero(t, length())
		assert.Empty(t, claims(t, plain))
	})
	t.Run("AckBatch", func(t *testing.T) {
		_, err := obs.PutBatch(ctx, payloads("ab", 8))
		require.NoError(t, err)
		var ms []*queue.Message
		for range 8 {
			ms = append(ms, take(t, ctx, q))
		}
		check := cutNextMulti(t, d, true) // each Ack is sent again, alone
		var wg sync.WaitGroup
		for _, m := range ms {
			wg.Go(func() { assert.NoError(t, m.Ack(ctx)) })
		}
		wg.Wait()
		check()
		require.Zero(t, length())
		assert.Empty(t, claims(t, plain))
	})
	t.Run("Nack", func(t *testing.T) {
		id := put(t, ctx, obs, "n")
		m := take(t, ctx, q)
		check := cutNextMulti(t, d)
		require.NoError(t, m.Nack(ctx))
		check()
		assert.Empty(t, claims(t, plain))
		m = take(t, ctx, obs)
		assert.Equal(t, id, m.ID)
		assert.Equal(t, 2, m.Deliveries)
		require.NoError(t, m.Ack(ctx))
	})
	t.Run("DeadLetter", func(t *testing.T) {
		put(t, ctx, obs, "dl")
		m := take(t, ctx, q)
		check := cutNextMulti(t, d)
		require.NoError(t, m.DeadLetter(ctx))
		check()
		require.Zero(t, length())
		n, err := obs.DeadLetterQueue().Len(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.NoError(t, take(t, ctx, obs.DeadLetterQueue()).Ack(ctx))
	})
	t.Run("AtMostOnceTake", func(t *testing.T) {
		once := zktest.Must(queue.New(fc, qpath, queue.WithAtMostOnce()))
		id := put(t, ctx, obs, "amo")
		check := cutNextMulti(t, d)
		m := take(t, ctx, once)
		check()
		assert.Equal(t, id, m.ID)
		require.Zero(t, length())
		assert.Empty(t, claims(t, plain))
	})
}

// A put whose lost reply turns out to have applied also deleted the
// receipts it carried: they must not be handed to the next put, whose
// transaction would then fail on them and have to be sent twice.
func TestIntegration_Queue_LostReplyForgetsDeletedReceipts(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	d, fc, _ := faulty(t)
	q := zktest.Must(queue.New(fc, qpath))
	put(t, ctx, q, "a") // its receipt waits for the next put to delete it
	check := cutNextMulti(t, d)
	put(t, ctx, q, "b") // applied, deleting a's receipt; the reply is lost
	check()
	from := len(d.Sent())
	put(t, ctx, q, "c")
	multis := 0
	for _, op := range d.Sent()[from:] {
		if op == zktest.OpMulti {
			multis++
		}
	}
	assert.Equal(t, 1, multis, "the next put sent its transaction more than once: %v", d.Sent()[from:])
}
