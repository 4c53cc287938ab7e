package queue_test

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Poll moves on to the next bucket once one is drained, as Take does
// (regression: the 11th Poll of 25 messages in buckets of 10 returned
// ErrEmpty).
func TestIntegration_Queue_PollAcrossBuckets(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	cs := clients(t, 2)
	p := zktest.Must(queue.New(cs[0], qpath, queue.WithBucketSize(10)))
	cons := zktest.Must(queue.New(cs[1], qpath, queue.WithBucketSize(10)))
	want := payloads("b", 25)
	for _, d := range want {
		put(t, ctx, p, string(d))
	}
	for i, d := range want {
		m, err := cons.Poll(ctx)
		require.NoError(t, err, "poll #%d", i+1)
		assert.Equal(t, string(d), string(m.Data))
		require.NoError(t, m.Ack(ctx))
	}
	_, err := cons.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)
}

// partitionOnRedial returns a dialer that black-holes d at the first dial
// after arm(true), once d's armed CutAfterRequest has fired: the client
// loses a reply and then cannot reconnect until Heal, so its session
// expires. arm(false) before Heal: a redial that comes late then passes.
func partitionOnRedial(d *zktest.FaultDialer) (zk.Dialer, func(bool)) {
	var armed atomic.Bool
	dial := func(network, address string, timeout time.Duration) (net.Conn, error) {
		if !d.Armed() && armed.CompareAndSwap(true, false) {
			d.Blackhole()
		}
		return d.Dial(network, address, timeout)
	}
	return dial, armed.Store
}

// An Ack whose transaction landed but whose reply was lost, after which the
// session expired, reports success: the message is gone (regression: it
// returned ErrClaimLost, "delivered again", for a message that never came
// back). An Ack sent into a partition, never applied, reports ErrClaimLost
// and the message is delivered again.
func TestIntegration_Queue_AckAcrossSessionLoss(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	ns := zktest.Namespace(t)
	d := zktest.NewFaultDialer()
	t.Cleanup(func() { _ = d.Close() })
	dial, partition := partitionOnRedial(d)
	fc := zktest.ClientAt(t, zktest.Servers(t), ns, zkrecipes.WithSessionTimeout(time.Second), zkrecipes.WithDialer(dial))
	other := zktest.ClientAt(t, zktest.Servers(t), ns)
	q, obs := zktest.Must(queue.New(fc, qpath)), zktest.Must(queue.New(other, qpath))
	length := func() int {
		n, err := obs.Len(ctx)
		require.NoError(t, err)
		return n
	}
	lostThenHeal := func(m *queue.Message) {
		select {
		case <-m.Lost():
		case <-time.After(15 * time.Second):
			t.Fatal("the session did not end")
		}
		partition(false)
		d.Heal()
	}

	t.Run("Landed", func(t *testing.T) {
		put(t, ctx, obs, "landed")
		m := take(t, ctx, q)
		d.CutAfterRequest(zktest.OpMulti)
		partition(true)
		done := make(chan error, 1)
		go func() { done <- m.Ack(ctx) }()
		lostThenHeal(m)
		require.NoError(t, <-done)
		require.False(t, d.Armed(), "no transaction was sent")
		assert.Zero(t, length())
	})

	t.Run("NotSent", func(t *testing.T) {
		put(t, ctx, obs, "not-sent")
		m := take(t, ctx, q)
		d.Blackhole()
		done := make(chan error, 1)
		go func() { done <- m.Ack(ctx) }()
		lostThenHeal(m)
		require.ErrorIs(t, <-done, queue.ErrClaimLost)
		assert.Equal(t, 1, length())
		again := take(t, ctx, obs)
		assert.Equal(t, "not-sent", string(again.Data))
		assert.Equal(t, 2, again.Deliveries)
		require.NoError(t, again.Ack(ctx))
	})
}
