package lock_test

import (
	"context"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

var protectedLock = regexp.MustCompile(`^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-lock-\d{10}$`)

func TestIntegration_Mutex_NodeLayoutAndData(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	m := zktest.Must(lock.NewMutex(c, "/a/b", lock.WithData([]byte("host-1"))))
	assert.Equal(t, "/a/b", m.Path(), "relative to the namespace")
	assert.Empty(t, m.Node())
	require.NoError(t, m.Lock(ctx))
	defer m.Unlock(context.WithoutCancel(ctx))

	kids, _, err := c.Children(ctx, "/a/b")
	require.NoError(t, err)
	require.Len(t, kids, 1)
	assert.Regexp(t, protectedLock, kids[0], "Curator's InterProcessMutex name, directly under the path")
	assert.Equal(t, "/a/b/"+kids[0], m.Node())
	data, st, err := c.Get(ctx, m.Node())
	require.NoError(t, err)
	assert.Equal(t, "host-1", string(data))
	assert.Equal(t, st.Czxid, m.Token())
	assert.Equal(t, c.Session().ID(), st.EphemeralOwner)
	_, pst, err := c.Exists(ctx, "/a/b")
	require.NoError(t, err)
	assert.Zero(t, pst.EphemeralOwner)
}

// The fencing token keeps increasing when the lock's container parent is
// removed and recreated, although the sequence numbers start over.
func TestIntegration_Mutex_TokenAcrossContainerRecreation(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	m := zktest.Must(lock.NewMutex(c, "/lk"))
	var tokens []int64
	for range 3 {
		require.NoError(t, m.Lock(ctx))
		tokens = append(tokens, m.Token())
		require.NoError(t, m.Unlock(ctx))
	}
	require.NoError(t, c.Delete(ctx, "/lk", -1)) // what the container reaper does
	require.NoError(t, m.Lock(ctx))
	assert.Regexp(t, `lock-0000000000$`, m.Node(), "the sequence restarted")
	tokens = append(tokens, m.Token())
	require.NoError(t, m.Unlock(ctx))
	for i := 1; i < len(tokens); i++ {
		assert.Greater(t, tokens[i], tokens[i-1])
	}
}

// Herd: 50 waiters each watch their own predecessor, so one release wakes
// exactly one of them.
func TestIntegration_Mutex_NoHerd(t *testing.T) {
	zktest.SkipIfShort(t)
	const waiters, perClient = 50, 10
	_, cs := clients(t, waiters/perClient+1)
	ctx := zktest.Context(t, 60*time.Second)
	holder := zktest.Must(lock.NewMutex(cs[0], "/herd"))
	require.NoError(t, holder.Lock(ctx))

	var waits atomic.Int64 // starts of a wait, over all waiters
	waitedOn := make(chan string, 4*waiters)
	acquired := make(chan *lock.Mutex, waiters)
	var wg sync.WaitGroup
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := range waiters {
		m := zktest.Must(lock.NewMutex(cs[1+i/perClient], "/herd"))
		lock.SetOnWait(m, func(p string) { waits.Add(1); waitedOn <- p })
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Lock(stop); err == nil {
				acquired <- m
			}
		}()
	}
	require.Eventually(t, func() bool { return waits.Load() == waiters }, 30*time.Second, 10*time.Millisecond)
	seen := map[string]bool{}
	for range waiters {
		p := <-waitedOn
		assert.False(t, seen[p], "two waiters watch %s", p)
		seen[p] = true
	}

	require.NoError(t, holder.Unlock(ctx))
	var next *lock.Mutex
	select {
	case next = <-acquired:
	case <-time.After(10 * time.Second):
		t.Fatal("nobody acquired after the release")
	}
	// Nobody else woke up: no second acquisition, no waiter re-waiting.
	assert.Never(t, func() bool { return len(acquired) > 0 || waits.Load() != waiters }, 500*time.Millisecond, 10*time.Millisecond,
		"a release woke more than one waiter")
	require.NoError(t, next.Unlock(ctx))
	select {
	case m := <-acquired:
		require.NoError(t, m.Unlock(ctx))
	case <-time.After(10 * time.Second):
		t.Fatal("the second waiter did not acquire")
	}
	assert.Equal(t, int64(waiters), waits.Load(), "each release wakes only the one waiter behind it")
	cancel()
	wg.Wait()
	close(acquired)
	for m := range acquired {
		_ = m.Unlock(ctx)
	}
	assert.Empty(t, ephemerals(t, cs[0], "/herd"))
}

// Servers of a 3-node ensemble stop and restart while clients contend:
// mutual exclusion holds, and once every client is closed no contender
// node is left.
func TestIntegration_Mutex_EnsembleFailover(t *testing.T) {
	zktest.SkipIfShort(t)
	ens := zktest.NewEnsemble(t, 3)
	ns := zktest.Namespace(t)
	const n = 4
	cs := make([]*zkrecipes.Client, n)
	for i := range cs {
		cs[i] = zktest.ClientAt(t, ens.Addrs(), ns, zkrecipes.WithSessionTimeout(8*time.Second))
	}
	ctx := zktest.Context(t, 90*time.Second)
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	var inside, violations, acquired, failures atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := zktest.Must(lock.NewMutex(cs[i], "/fo", lock.WithSuspendedIsLost(false)))
			for stop.Err() == nil {
				lctx, lcancel := context.WithTimeout(stop, 10*time.Second)
				err := m.Lock(lctx)
				lcancel()
				if err != nil {
					failures.Add(1)
					continue
				}
				if inside.Add(1) != 1 {
					violations.Add(1)
				}
				select {
				case <-m.Lost():
				case <-time.After(2 * time.Millisecond):
				}
				acquired.Add(1)
				inside.Add(-1)
				_ = m.Unlock(context.WithoutCancel(ctx))
			}
		}()
	}
	progress := func(what string) {
		start := acquired.Load()
		require.Eventually(t, func() bool { return acquired.Load() >= start+20 }, 30*time.Second, 20*time.Millisecond,
			"no progress after %s", what)
	}
	progress("start")
	for _, i := range []int{ens.Leader(), 0, 2} {
		srv := ens.Server(i)
		require.NoError(t, srv.Stop())
		progress("stopping a server")
		require.NoError(t, srv.Restart())
		progress("restarting it")
	}
	cancel()
	wg.Wait()
	assert.Zero(t, violations.Load(), "two holders at once")
	t.Logf("acquisitions %d, failed attempts %d", acquired.Load(), failures.Load())
	for _, c := range cs {
		c.Close()
	}
	check := zktest.ClientAt(t, ens.Addrs(), ns)
	eventuallyEphemerals(t, check, "/fo", 0, 20*time.Second)
}

func TestBadInput(t *testing.T) {
	c := new(zkrecipes.Client) // never used for I/O: every call fails first
	ctx := context.Background()
	for _, p := range []string{"", "rel", "/trailing/", "/a//b", "/zookeeper/x", "/a/./b"} {
		m, err := lock.NewMutex(c, p)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, "Mutex %q", p)
		assert.ErrorContains(t, err, "lock: NewMutex: ")
		assert.Nil(t, m)
		_, err = lock.NewRWMutex(c, p)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, "RWMutex %q", p)
		_, err = lock.NewSemaphore(c, p, 2)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, "Semaphore %q", p)
	}
	_, err := lock.NewMutex(c, "/m", lock.WithData(make([]byte, zkrecipes.MaxDataSize+1)))
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	assert.ErrorContains(t, err, "lock: NewMutex: WithData: ")
	s := zktest.Must(lock.NewSemaphore(c, "/s", 2))
	for _, n := range []int{0, -1, 3} {
		_, err := s.AcquireN(ctx, n)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument, "AcquireN(%d)", n)
	}
	assert.PanicsWithValue(t, "lock: NewSemaphore: maxLeases must be at least 1, got 0", func() { zktest.Must(lock.NewSemaphore(c, "/s", 0)) })
	assert.Panics(t, func() { zktest.Must(lock.NewSemaphore(c, "/s", -3)) })
	assert.PanicsWithValue(t, "lock: NewMutex: nil client", func() { zktest.Must(lock.NewMutex(nil, "/m")) })
	assert.Panics(t, func() { zktest.Must(lock.NewRWMutex(nil, "/m")) })
	assert.Panics(t, func() { zktest.Must(lock.NewSemaphore(nil, "/m", 1)) })
	assert.Panics(t, func() { lock.NewMultiLock(zktest.Must(lock.NewMutex(c, "/a")), nil) })
	var nilMutex *lock.Mutex
	assert.Panics(t, func() { lock.NewMultiLock(nilMutex) })
	assert.PanicsWithValue(t, "lock: NewMultiLock: no locks", func() { lock.NewMultiLock() })
}

// An operator deleting the lock node ends the hold, whether Lost was
// first called before or after the deletion.
func TestIntegration_Mutex_LostWhenNodeDeleted(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 2)
	ctx := zktest.Context(t, 20*time.Second)
	for _, early := range []bool{true, false} {
		m := zktest.Must(lock.NewMutex(cs[0], "/lk", lock.WithSuspendedIsLost(false)))
		require.NoError(t, m.Lock(ctx))
		tok := m.Token()
		var lost <-chan struct{}
		if early {
			lost = m.Lost()
			assert.False(t, isClosed(lost))
		}
		require.NoError(t, cs[1].Delete(ctx, m.Node(), -1))
		if !early {
			lost = m.Lost()
		}
		select {
		case <-lost:
		case <-time.After(5 * time.Second):
			t.Fatalf("Lost did not close after the node was deleted (Lost called early: %v)", early)
		}
		assert.Equal(t, tok, m.Token(), "the token of the hold stays readable until Unlock")
		require.NoError(t, m.Unlock(ctx))
	}
}
