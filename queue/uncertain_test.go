package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A put whose reply was lost, whose session then ended, and whose message
// was consumed before it could look reports an unknown outcome, matching
// zkrecipes.ErrUncertain as every recipe's does.
func TestIntegration_Queue_PutInDoubtIsUncertain(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	ns := zktest.Namespace(t)
	d := zktest.NewFaultDialer()
	t.Cleanup(func() { _ = d.Close() })
	dial, partition := partitionOnRedial(d)
	fc := zktest.ClientAt(t, zktest.Servers(t), ns, zkrecipes.WithSessionTimeout(time.Second), zkrecipes.WithDialer(dial))
	other := zktest.ClientAt(t, zktest.Servers(t), ns)
	q, obs := zktest.Must(queue.New(fc, qpath)), zktest.Must(queue.New(other, qpath))
	put(t, ctx, q, "first") // the queue's nodes exist: the put in doubt is one transaction
	require.NoError(t, take(t, ctx, obs).Ack(ctx))

	s := fc.Session()
	d.CutAfterRequest(zktest.OpMulti)
	partition(true)
	done := make(chan error, 1)
	go func() {
		_, err := q.Put(ctx, []byte("doubt"))
		done <- err
	}()
	select {
	case <-s.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("the session did not end")
	}
	// The server expires the session too, removing the put's receipt; the
	// message is consumed before the producer can look for it.
	require.Eventually(t, func() bool { return len(children(t, other, qpath+"/receipts")) == 0 },
		15*time.Second, 10*time.Millisecond, "the receipt outlived the session")
	m := take(t, ctx, obs)
	require.Equal(t, "doubt", string(m.Data))
	require.NoError(t, m.Ack(ctx))
	partition(false)
	d.Heal()
	select {
	case err := <-done:
		require.ErrorIs(t, err, zkrecipes.ErrUncertain)
	case <-time.After(15 * time.Second):
		t.Fatal("the put did not return")
	}
}
