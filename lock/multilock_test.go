package lock_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestMultiLock_OrdersByPath(t *testing.T) {
	c := new(zkrecipes.Client) // no I/O
	a, b, z := zktest.Must(lock.NewMutex(c, "/a")), zktest.Must(lock.NewMutex(c, "/b")), zktest.Must(lock.NewMutex(c, "/z"))
	rw := zktest.Must(lock.NewRWMutex(c, "/m"))
	ml := lock.NewMultiLock(z, rw.Reader(), a, rw.Writer(), b)
	var paths []string
	for _, l := range ml.Locks() {
		paths = append(paths, l.Path())
	}
	assert.Equal(t, []string{"/a", "/b", "/m", "/m", "/z"}, paths)
	assert.Equal(t, rw.Reader(), ml.Locks()[2], "equal paths keep their given order")
	assert.ErrorIs(t, ml.Unlock(context.Background()), lock.ErrNotLocked)
	assert.True(t, isClosed(ml.Lost()))
}

// MultiLock orders by the path on the server, not by Path (relative to
// each client's namespace): a client in /ns/b locking /x and one in /ns/a
// locking /y must be ordered /ns/a/y first, as a MultiLock of a client
// without a namespace would order them.
func TestIntegration_MultiLock_OrdersByServerPath(t *testing.T) {
	zktest.SkipIfShort(t)
	ns := zktest.Namespace(t)
	ca := zktest.ClientAt(t, zktest.Servers(t), ns+"/a")
	cb := zktest.ClientAt(t, zktest.Servers(t), ns+"/b")
	x, y := zktest.Must(lock.NewMutex(cb, "/x")), zktest.Must(lock.NewMutex(ca, "/y"))
	var paths []string
	for _, l := range lock.NewMultiLock(x, y).Locks() {
		paths = append(paths, l.Path())
	}
	assert.Equal(t, []string{"/y", "/x"}, paths)
}

// Two MultiLocks over the same locks, given in opposite orders, contend
// without deadlock and exclude each other.
func TestIntegration_MultiLock_NoDeadlock(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 2)
	ctx := zktest.Context(t, 60*time.Second)
	mk := func(c *zkrecipes.Client, reverse bool) *lock.MultiLock {
		ls := []lock.Locker{zktest.Must(lock.NewMutex(c, "/x")), zktest.Must(lock.NewMutex(c, "/y")), zktest.Must(lock.NewRWMutex(c, "/z")).Writer()}
		if reverse {
			ls[0], ls[2] = ls[2], ls[0]
		}
		return lock.NewMultiLock(ls...)
	}
	var inside, violations atomic.Int64
	contenders(t, 2, func(i int) error {
		ml := mk(cs[i], i == 1)
		for range 10 {
			if err := ml.Lock(ctx); err != nil {
				return err
			}
			if inside.Add(1) != 1 {
				violations.Add(1)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			if err := ml.Unlock(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	assert.Zero(t, violations.Load())
	for _, p := range []string{"/x", "/y", "/z"} {
		assert.Empty(t, ephemerals(t, cs[0], p))
	}
}

// A member held elsewhere: TryLock fails at once and Lock with a deadline
// gives up; both release the members they had taken.
func TestIntegration_MultiLock_PartialFailureReleases(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 2)
	ctx := zktest.Context(t, 30*time.Second)
	other := zktest.Must(lock.NewMutex(cs[1], "/b"))
	require.NoError(t, other.Lock(ctx))
	a := zktest.Must(lock.NewMutex(cs[0], "/a"))
	ml := lock.NewMultiLock(zktest.Must(lock.NewMutex(cs[0], "/b")), a)

	assert.ErrorIs(t, ml.TryLock(ctx), lock.ErrLocked)
	assert.Empty(t, ephemerals(t, cs[0], "/a"), "the member taken first was released")
	assert.Len(t, ephemerals(t, cs[0], "/b"), 1)

	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, ml.Lock(dctx), context.DeadlineExceeded)
	assert.Empty(t, ephemerals(t, cs[0], "/a"))
	assert.Len(t, ephemerals(t, cs[0], "/b"), 1)
	require.NoError(t, a.TryLock(ctx), "the member handle is free again")
	require.NoError(t, a.Unlock(ctx))

	require.NoError(t, other.Unlock(ctx))
	require.NoError(t, ml.Lock(ctx))
	assert.ErrorIs(t, ml.Lock(ctx), lock.ErrAlreadyLocked)
	lost := ml.Lost()
	assert.False(t, isClosed(lost))
	// A member ending its hold ends the MultiLock's.
	require.NoError(t, a.Unlock(ctx))
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("Lost did not close when a member's hold ended")
	}
	err := ml.Unlock(ctx)
	assert.ErrorIs(t, err, lock.ErrNotLocked, "the member already released reports it")
	assert.Empty(t, ephemerals(t, cs[0], "/a"))
	assert.Empty(t, ephemerals(t, cs[0], "/b"))
}
