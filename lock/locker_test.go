package lock_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// The conformance suite (after Curator's TestInterProcessMutexBase) runs
// against every exclusive lock: Mutex, the write side of RWMutex, and a
// Semaphore of one lease.

type kind struct {
	name string
	// make returns the lock and the value whose wait hook tests set.
	make func(c *zkrecipes.Client, path string, opts ...lock.Option) (lock.Locker, any)
}

func (k kind) new(c *zkrecipes.Client, path string, opts ...lock.Option) lock.Locker {
	l, _ := k.make(c, path, opts...)
	return l
}

// newWaiting returns a lock whose acquisitions report each start of a
// wait on the returned channel.
func (k kind) newWaiting(c *zkrecipes.Client, path string) (lock.Locker, <-chan string) {
	l, x := k.make(c, path)
	ch := make(chan string, 64)
	lock.SetOnWait(x, func(p string) { ch <- p })
	return l, ch
}

var kinds = []kind{
	{"Mutex", func(c *zkrecipes.Client, p string, o ...lock.Option) (lock.Locker, any) {
		m := zktest.Must(lock.NewMutex(c, p, o...))
		return m, m
	}},
	{"RWMutexWrite", func(c *zkrecipes.Client, p string, o ...lock.Option) (lock.Locker, any) {
		rw := zktest.Must(lock.NewRWMutex(c, p, o...))
		return rw.Writer(), rw
	}},
	{"Semaphore1", func(c *zkrecipes.Client, p string, o ...lock.Option) (lock.Locker, any) {
		s := zktest.Must(lock.NewSemaphore(c, p, 1, o...))
		return &semLocker{s: s}, s
	}},
}

func waiting(t *testing.T, ch <-chan string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the contender did not start waiting")
	}
}

// semLocker adapts a Semaphore of one lease to lock.Locker.
type semLocker struct {
	s  *lock.Semaphore
	mu sync.Mutex
	l  *lock.Lease
}

func (s *semLocker) Lock(ctx context.Context) error { return s.take(s.s.Acquire(ctx)) }
func (s *semLocker) TryLock(ctx context.Context) error {
	err := s.take(s.s.TryAcquire(ctx))
	if errors.Is(err, lock.ErrNoLease) {
		return fmt.Errorf("%w (%w)", lock.ErrLocked, err)
	}
	return err
}

func (s *semLocker) take(l *lock.Lease, err error) error {
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.l = l
	return nil
}

func (s *semLocker) lease() *lock.Lease {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.l
}

func (s *semLocker) Unlock(ctx context.Context) error {
	s.mu.Lock()
	l := s.l
	s.l = nil
	s.mu.Unlock()
	if l == nil {
		return lock.ErrNotLocked
	}
	return l.Release(ctx)
}

func (s *semLocker) Lost() <-chan struct{} {
	if l := s.lease(); l != nil {
		return l.Lost()
	}
	return closed
}

func (s *semLocker) Token() int64 {
	if l := s.lease(); l != nil {
		return l.Token()
	}
	return 0
}

func (s *semLocker) Path() string { return s.s.Path() }

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func forEachKind(t *testing.T, fn func(t *testing.T, k kind)) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			fn(t, k)
		})
	}
}

// clients connects n clients in one fresh namespace, each its own session.
func clients(t testing.TB, n int, opts ...zkrecipes.Option) (string, []*zkrecipes.Client) {
	ns := zktest.Namespace(t)
	cs := make([]*zkrecipes.Client, n)
	for i := range cs {
		cs[i] = zktest.ClientAt(t, zktest.Servers(t), ns, opts...)
	}
	return ns, cs
}

// ephemerals lists the ephemeral nodes below p: every contender node of
// every lock type, wherever its layout puts it.
func ephemerals(t testing.TB, c *zkrecipes.Client, p string) []string {
	t.Helper()
	ctx := zktest.Context(t, 10*time.Second)
	var out []string
	var walk func(p string)
	walk = func(p string) {
		kids, _, err := c.Children(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			return
		}
		require.NoError(t, err)
		for _, k := range kids {
			cp := p + "/" + k
			ok, st, err := c.Exists(ctx, cp)
			require.NoError(t, err)
			if ok && st.EphemeralOwner != 0 {
				out = append(out, cp)
			}
			walk(cp)
		}
	}
	walk(p)
	return out
}

func eventuallyEphemerals(t *testing.T, c *zkrecipes.Client, p string, n int, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool { return len(ephemerals(t, c, p)) == n }, within, 10*time.Millisecond,
		"want %d contender nodes under %s", n, p)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestIntegration_Locker_Contention(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachKind(t, func(t *testing.T, k kind) {
		const n, rounds = 5, 8
		_, cs := clients(t, n)
		ctx := zktest.Context(t, 60*time.Second)
		var inside, violations, acquired atomic.Int64
		var mu sync.Mutex
		var last int64
		var tokenErrs []string
		contenders(t, n, func(i int) error {
			l := k.new(cs[i], "/lk")
			for range rounds {
				if err := l.Lock(ctx); err != nil {
					return err
				}
				if inside.Add(1) != 1 {
					violations.Add(1)
				}
				tok := l.Token()
				mu.Lock()
				if tok <= last {
					tokenErrs = append(tokenErrs, fmt.Sprintf("token %d after %d", tok, last))
				}
				last = tok
				mu.Unlock()
				time.Sleep(time.Millisecond) // work inside the critical section
				acquired.Add(1)
				inside.Add(-1)
				if err := l.Unlock(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		assert.Zero(t, violations.Load(), "more than one holder inside")
		assert.Empty(t, tokenErrs, "fencing tokens must strictly increase")
		assert.Equal(t, int64(n*rounds), acquired.Load())
		assert.Empty(t, ephemerals(t, cs[0], "/lk"))
	})
}

func TestIntegration_Locker_TryLockAndHandleErrors(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachKind(t, func(t *testing.T, k kind) {
		_, cs := clients(t, 2)
		ctx := zktest.Context(t, 20*time.Second)
		a, b := k.new(cs[0], "/lk"), k.new(cs[1], "/lk")

		assert.ErrorIs(t, a.Unlock(ctx), lock.ErrNotLocked)
		assert.Zero(t, a.Token())
		assert.True(t, isClosed(a.Lost()), "Lost is closed without a hold")

		require.NoError(t, a.TryLock(ctx))
		assert.NotZero(t, a.Token())
		assert.False(t, isClosed(a.Lost()))
		if _, ok := a.(*semLocker); !ok {
			assert.ErrorIs(t, a.Lock(ctx), lock.ErrAlreadyLocked)
		}

		assert.ErrorIs(t, b.TryLock(ctx), lock.ErrLocked)
		assert.Len(t, ephemerals(t, cs[0], "/lk"), 1, "a failed TryLock leaves nothing behind")

		lost := a.Lost()
		require.NoError(t, a.Unlock(ctx))
		assert.True(t, isClosed(lost), "Unlock ends the hold")
		assert.ErrorIs(t, a.Unlock(ctx), lock.ErrNotLocked)
		require.NoError(t, b.TryLock(ctx))
		require.NoError(t, b.Unlock(ctx))
		assert.Empty(t, ephemerals(t, cs[0], "/lk"))
	})
}

func TestIntegration_Locker_CancelWhileWaiting(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachKind(t, func(t *testing.T, k kind) {
		_, cs := clients(t, 3)
		ctx := zktest.Context(t, 30*time.Second)
		a := k.new(cs[0], "/lk")
		b, bwait := k.newWaiting(cs[1], "/lk")
		c, cwait := k.newWaiting(cs[2], "/lk")
		require.NoError(t, a.Lock(ctx))

		bctx, cancel := context.WithCancel(ctx)
		bdone := make(chan error, 1)
		go func() { bdone <- b.Lock(bctx) }()
		waiting(t, bwait)
		cancel()
		select {
		case err := <-bdone:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(5 * time.Second):
			t.Fatal("Lock did not return after cancel")
		}
		// Deleted before Lock returned: no waiting for it.
		assert.Len(t, ephemerals(t, cs[0], "/lk"), 1, "the cancelled waiter's node is gone")

		cdone := make(chan error, 1)
		go func() { cdone <- c.Lock(ctx) }()
		waiting(t, cwait)
		require.NoError(t, a.Unlock(ctx))
		select {
		case err := <-cdone:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("the next waiter did not proceed")
		}
		require.NoError(t, c.Unlock(ctx))
	})
}

// faultClient is a client whose connection the test can cut or partition.
func faultClient(t *testing.T, ns string, timeout time.Duration) (*zkrecipes.Client, *zktest.FaultDialer) {
	return zktest.FaultyClientAt(t, zktest.Servers(t), ns, zkrecipes.WithSessionTimeout(timeout))
}

func TestIntegration_Locker_ExpiryWhileHolding(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachKind(t, func(t *testing.T, k kind) {
		for _, policy := range []bool{false, true} {
			t.Run(fmt.Sprintf("suspendedIsLost=%v", policy), func(t *testing.T) {
				t.Parallel()
				const timeout = 1500 * time.Millisecond
				ns, cs := clients(t, 1)
				fc, d := faultClient(t, ns, timeout)
				ctx := zktest.Context(t, 30*time.Second)
				l := k.new(fc, "/lk", lock.WithSuspendedIsLost(policy))
				require.NoError(t, l.Lock(ctx))
				lost := l.Lost()

				start := time.Now()
				d.Blackhole()
				select {
				case <-lost:
				case <-time.After(timeout + 3*time.Second):
					t.Fatal("Lost did not close within the session timeout plus slack while partitioned")
				}
				if !policy {
					assert.GreaterOrEqual(t, time.Since(start), timeout/2, "session-only policy: not lost before the session can have expired")
				}
				// The server expires the session: another client gets the lock.
				other := k.new(cs[0], "/lk")
				require.NoError(t, other.Lock(ctx))
				d.Heal()
				require.NoError(t, other.Unlock(ctx))
				require.NoError(t, l.Unlock(ctx), "Unlock after loss releases the handle")
			})
		}
	})
}

func TestIntegration_Locker_ExpiryWhileWaiting(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachKind(t, func(t *testing.T, k kind) {
		const timeout = 1500 * time.Millisecond
		ns, cs := clients(t, 2)
		fc, d := faultClient(t, ns, timeout)
		ctx := zktest.Context(t, 30*time.Second)
		a := k.new(cs[0], "/lk")
		b, bwait := k.newWaiting(fc, "/lk")
		require.NoError(t, a.Lock(ctx))
		bdone := make(chan error, 1)
		go func() { bdone <- b.Lock(ctx) }()
		waiting(t, bwait)

		d.Blackhole()
		// b's node is now first on the server, but b cannot hear of it.
		require.NoError(t, a.Unlock(ctx))
		select {
		case err := <-bdone:
			require.Error(t, err, "no phantom acquisition")
			assert.ErrorIs(t, err, zkrecipes.ErrSessionLost)
		case <-time.After(timeout + 4*time.Second):
			t.Fatal("the partitioned waiter did not give up")
		}
		assert.Zero(t, b.Token())
		d.Heal()
		c := k.new(cs[1], "/lk")
		require.NoError(t, c.Lock(ctx))
		require.NoError(t, c.Unlock(ctx))
		eventuallyEphemerals(t, cs[0], "/lk", 0, 5*time.Second)
	})
}

func TestIntegration_Locker_ShortDisconnect(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachKind(t, func(t *testing.T, k kind) {
		for _, policy := range []bool{false, true} {
			t.Run(fmt.Sprintf("suspendedIsLost=%v", policy), func(t *testing.T) {
				t.Parallel()
				ns, cs := clients(t, 1)
				fc, d := faultClient(t, ns, 4*time.Second)
				ctx := zktest.Context(t, 30*time.Second)
				l := k.new(fc, "/lk", lock.WithSuspendedIsLost(policy))
				require.NoError(t, l.Lock(ctx))
				tok := l.Token()
				lost := l.Lost()
				sub := fc.Subscribe()
				defer sub.Close()

				d.Cut()
				for {
					ch, err := sub.Next(ctx)
					require.NoError(t, err)
					require.NotEqual(t, zkrecipes.Lost, ch.State)
					if ch.State == zkrecipes.Reconnected {
						break
					}
				}
				if policy {
					assert.True(t, isClosed(lost), "default policy: a suspension ends the hold")
				} else {
					assert.False(t, isClosed(lost), "session-only policy: still held")
					assert.Equal(t, tok, l.Token())
				}
				// Either way the node survived with the session.
				assert.ErrorIs(t, k.new(cs[0], "/lk").TryLock(ctx), lock.ErrLocked)
				require.NoError(t, l.Unlock(ctx))
				assert.Empty(t, ephemerals(t, cs[0], "/lk"))
			})
		}
	})
}

func TestIntegration_Locker_LostReplyToCreate(t *testing.T) {
	zktest.SkipIfShort(t)
	forEachKind(t, func(t *testing.T, k kind) {
		ns, cs := clients(t, 1)
		fc, d := faultClient(t, ns, 4*time.Second)
		ctx := zktest.Context(t, 30*time.Second)
		// Warm up, so that the parents exist and the cut hits the contender.
		l := k.new(fc, "/lk")
		require.NoError(t, l.Lock(ctx))
		require.NoError(t, l.Unlock(ctx))

		d.CutAfterRequest(zktest.OpCreate)
		require.NoError(t, l.Lock(ctx))
		assert.False(t, d.Armed(), "the fault fired")
		assert.Len(t, ephemerals(t, cs[0], "/lk"), 1, "the create whose reply was lost is found again, not repeated")
		assert.ErrorIs(t, k.new(cs[0], "/lk").TryLock(ctx), lock.ErrLocked)
		require.NoError(t, l.Unlock(ctx))
		assert.Empty(t, ephemerals(t, cs[0], "/lk"))
	})
}

// contenders runs fn(i) for i in 0..n-1, each on its own goroutine, waits
// for all and fails the test with any error they returned.
func contenders(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := fn(i); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
