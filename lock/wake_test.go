package lock_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// The next in line takes the lock on the predecessor's deletion event
// alone: its listing proved that node was the last one ahead, and its own
// node's watch, set on the same connection, has not fired.
//
// These tests leave out the semaphore: in Curator's InterProcessSemaphoreV2
// layout a lease waiter watches all leases (the departure of any holder
// may admit it) and must count them again on every wake-up.
func forEachPredecessorKind(t *testing.T, fn func(t *testing.T, k kind)) {
	for _, k := range kinds {
		if k.name != "Semaphore1" {
			t.Run(k.name, func(t *testing.T) { fn(t, k) })
		}
	}
}

// queue is a holder of /lk and one waiter behind it whose own-node watch
// is set, on a client whose connections d can cut.
type queue struct {
	ctx    context.Context
	admin  *zkrecipes.Client // the holder's client
	holder lock.Locker
	c      *zkrecipes.Client // the waiter's client
	d      *zktest.FaultDialer
	waiter lock.Locker
	done   chan error // the waiter's Lock
}

func queueBehind(t *testing.T, k kind) *queue {
	ns, cs := clients(t, 1)
	q := &queue{ctx: zktest.Context(t, 30*time.Second), admin: cs[0]}
	q.c, q.d = faultClient(t, ns, 10*time.Second)
	q.holder = k.new(q.admin, "/lk")
	require.NoError(t, q.holder.Lock(q.ctx))
	var onWait <-chan string
	q.waiter, onWait = k.newWaiting(q.c, "/lk")
	from := len(q.d.Sent())
	q.done = make(chan error, 1)
	go func() { q.done <- q.waiter.Lock(q.ctx) }()
	waiting(t, onWait)
	require.Eventually(t, func() bool { return slices.Contains(q.d.Sent()[from:], zktest.OpExists) }, 10*time.Second, time.Millisecond,
		"the waiter set no watch on its own node")
	// The watch is set once its reply is read, not when the request is
	// written: a round trip on the same connection comes back after it.
	// (A wake-up that beats it lists again, correctly, but the tests
	// below look at the wake-up that does not need to.)
	_, _, err := q.c.Session().Exists(q.ctx, "/lk")
	require.NoError(t, err)
	return q
}

func TestIntegration_Locker_WakeWithoutListing(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachPredecessorKind(t, func(t *testing.T, k kind) {
		q := queueBehind(t, k)
		from := len(q.d.Sent())
		require.NoError(t, q.holder.Unlock(q.ctx))
		require.NoError(t, <-q.done)
		assert.NotContains(t, q.d.Sent()[from:], zktest.OpGetChildren2, "the waiter listed again after its wake-up")
		assert.Greater(t, q.waiter.Token(), int64(0))
		require.NoError(t, q.waiter.Unlock(q.ctx))
	})
}

// A waiter whose own node was deleted before its predecessor must not
// take the lock on the predecessor's event: its own node's event comes
// first on the connection, and the waiter lists again.
func TestIntegration_Locker_OwnNodeDeletedWhileWaiting(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachPredecessorKind(t, func(t *testing.T, k kind) {
		q := queueBehind(t, k)
		mine := ephemeralsOf(t, q.admin, "/lk", q.c.Session().ID())
		require.Len(t, mine, 1)
		require.NoError(t, q.admin.Delete(q.ctx, mine[0], -1))
		require.NoError(t, q.holder.Unlock(q.ctx))
		select {
		case err := <-q.done:
			require.ErrorIs(t, err, lock.ErrNodeDeleted, "the waiter took the lock although its node was deleted")
		case <-time.After(10 * time.Second):
			t.Fatal("the waiter neither failed nor took the lock")
		}
		assert.Empty(t, ephemerals(t, q.admin, "/lk"))
	})
}

// After a reconnection the watches set again may fire in any order, so
// the wake-up lists again.
func TestIntegration_Locker_WakeAfterReconnectLists(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachPredecessorKind(t, func(t *testing.T, k kind) {
		q := queueBehind(t, k)
		dials := q.d.Dials()
		q.d.Cut()
		require.Eventually(t, func() bool { return q.d.Dials() > dials && q.c.State().IsConnected() }, 10*time.Second, time.Millisecond)
		from := len(q.d.Sent())
		require.NoError(t, q.holder.Unlock(q.ctx))
		require.NoError(t, <-q.done)
		assert.Contains(t, q.d.Sent()[from:], zktest.OpGetChildren2, "the waiter trusted event order across a reconnection")
		require.NoError(t, q.waiter.Unlock(q.ctx))
	})
}

// ephemeralsOf lists the contender nodes under p owned by session sid.
func ephemeralsOf(t *testing.T, c *zkrecipes.Client, p string, sid int64) []string {
	t.Helper()
	var out []string
	for _, n := range ephemerals(t, c, p) {
		ok, st, err := c.Exists(context.Background(), n)
		require.NoError(t, err)
		if ok && st.EphemeralOwner == sid {
			out = append(out, n)
		}
	}
	return out
}
