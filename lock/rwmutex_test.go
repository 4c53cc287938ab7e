package lock_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func lockAsync(f func(context.Context) error, ctx context.Context) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f(ctx) }()
	return ch
}

func await(t *testing.T, ch <-chan error, what string) {
	t.Helper()
	select {
	case err := <-ch:
		require.NoError(t, err, what)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: did not return", what)
	}
}

func pending(ch <-chan error) bool { return len(ch) == 0 }

func TestIntegration_RWMutex_ReadersShareWritersExclude(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 3)
	ctx := zktest.Context(t, 30*time.Second)
	r1, r2, w := zktest.Must(lock.NewRWMutex(cs[0], "/rw")), zktest.Must(lock.NewRWMutex(cs[1], "/rw")), zktest.Must(lock.NewRWMutex(cs[2], "/rw"))
	require.NoError(t, r1.RLock(ctx))
	require.NoError(t, r2.TryRLock(ctx), "readers share")
	assert.ErrorIs(t, w.TryLock(ctx), lock.ErrLocked)

	kids, _, err := cs[0].Children(ctx, "/rw")
	require.NoError(t, err)
	for _, k := range kids {
		assert.Contains(t, k, "-__READ__", "Curator's reader name")
	}

	wdone := lockAsync(w.Lock, ctx)
	eventuallyEphemerals(t, cs[0], "/rw", 3, 10*time.Second)
	require.NoError(t, r1.RUnlock(ctx))
	require.NoError(t, r2.RUnlock(ctx))
	await(t, wdone, "writer after the readers")
	assert.ErrorIs(t, r1.TryRLock(ctx), lock.ErrLocked, "no reader beside a writer")
	assert.ErrorIs(t, r1.TryLock(ctx), lock.ErrLocked)
	require.NoError(t, w.Unlock(ctx))
	assert.Empty(t, ephemerals(t, cs[0], "/rw"))
}

// A reader that arrives after a waiting writer waits behind it, so a
// stream of readers cannot starve writers.
func TestIntegration_RWMutex_FairToWriters(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 3)
	ctx := zktest.Context(t, 30*time.Second)
	r1, w, r2 := zktest.Must(lock.NewRWMutex(cs[0], "/rw")), zktest.Must(lock.NewRWMutex(cs[1], "/rw")), zktest.Must(lock.NewRWMutex(cs[2], "/rw"))
	require.NoError(t, r1.RLock(ctx))
	wdone := lockAsync(w.Lock, ctx)
	eventuallyEphemerals(t, cs[0], "/rw", 2, 10*time.Second)
	assert.ErrorIs(t, r2.TryRLock(ctx), lock.ErrLocked, "a reader behind a waiting writer does not jump the queue")
	r2done := lockAsync(r2.RLock, ctx)
	eventuallyEphemerals(t, cs[0], "/rw", 3, 10*time.Second)

	require.NoError(t, r1.RUnlock(ctx))
	await(t, wdone, "writer")
	assert.True(t, pending(r2done), "the later reader still waits")
	require.NoError(t, w.Unlock(ctx))
	await(t, r2done, "later reader")
	require.NoError(t, r2.RUnlock(ctx))
}

func TestIntegration_RWMutex_Downgrade(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 3)
	ctx := zktest.Context(t, 30*time.Second)
	rw, other, w := zktest.Must(lock.NewRWMutex(cs[0], "/rw")), zktest.Must(lock.NewRWMutex(cs[1], "/rw")), zktest.Must(lock.NewRWMutex(cs[2], "/rw"))
	require.NoError(t, rw.Lock(ctx))
	assert.ErrorIs(t, rw.Lock(ctx), lock.ErrAlreadyLocked)
	require.NoError(t, rw.RLock(ctx), "a write holder takes the read lock at once")
	assert.ErrorIs(t, rw.RLock(ctx), lock.ErrAlreadyLocked)
	require.NoError(t, rw.Unlock(ctx))
	assert.NotZero(t, rw.Reader().Token())
	assert.Zero(t, rw.Writer().Token())
	assert.ErrorIs(t, rw.Lock(ctx), lock.ErrUpgrade)

	require.NoError(t, other.TryRLock(ctx), "another reader joins the downgraded one")
	assert.ErrorIs(t, w.TryLock(ctx), lock.ErrLocked)
	require.NoError(t, other.RUnlock(ctx))
	require.NoError(t, rw.RUnlock(ctx))
	require.NoError(t, w.TryLock(ctx))
	require.NoError(t, w.Unlock(ctx))
	assert.Empty(t, ephemerals(t, cs[0], "/rw"))
}

// A writer queued between our write node and our downgraded read node must
// not get the lock while our read lock is held (Curator would let it in).
func TestIntegration_RWMutex_DowngradeBehindQueuedWriter(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 2)
	ctx := zktest.Context(t, 30*time.Second)
	rw, w := zktest.Must(lock.NewRWMutex(cs[0], "/rw")), zktest.Must(lock.NewRWMutex(cs[1], "/rw"))
	require.NoError(t, rw.Lock(ctx))
	writeNode := writerNodes(t, cs[0])
	require.Len(t, writeNode, 1)
	wdone := lockAsync(w.Lock, ctx)
	eventuallyEphemerals(t, cs[0], "/rw", 2, 10*time.Second)

	require.NoError(t, rw.RLock(ctx))
	require.NoError(t, rw.Unlock(ctx))
	// The write node stays while the read lock is held: the queued writer
	// keeps waiting for it. (Checked on the server, not by waiting.)
	assert.Contains(t, writerNodes(t, cs[0]), writeNode[0])
	assert.True(t, pending(wdone))

	require.NoError(t, rw.RUnlock(ctx))
	await(t, wdone, "queued writer after RUnlock")
	require.NoError(t, w.Unlock(ctx))
	assert.Empty(t, ephemerals(t, cs[0], "/rw"))
}

func writerNodes(t *testing.T, c *zkrecipes.Client) []string {
	var out []string
	for _, p := range ephemerals(t, c, "/rw") {
		if strings.Contains(p, lock.WritePrefix) {
			out = append(out, p)
		}
	}
	return out
}

// Readers and writers of several sessions: never a writer beside anyone.
func TestIntegration_RWMutex_Contention(t *testing.T) {
	zktest.SkipIfShort(t)
	const n, rounds = 5, 12
	_, cs := clients(t, n)
	ctx := zktest.Context(t, 60*time.Second)
	var readers, writers, violations, maxReaders atomic.Int64
	contenders(t, n, func(i int) error {
		rw := zktest.Must(lock.NewRWMutex(cs[i], "/rw"))
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		for range rounds {
			if rng.IntN(3) == 0 {
				if err := rw.Lock(ctx); err != nil {
					return err
				}
				if writers.Add(1) != 1 || readers.Load() != 0 {
					violations.Add(1)
				}
				time.Sleep(time.Millisecond)
				writers.Add(-1)
				if err := rw.Unlock(ctx); err != nil {
					return err
				}
				continue
			}
			if err := rw.RLock(ctx); err != nil {
				return err
			}
			r := readers.Add(1)
			if writers.Load() != 0 {
				violations.Add(1)
			}
			for m := maxReaders.Load(); r > m && !maxReaders.CompareAndSwap(m, r); m = maxReaders.Load() {
			}
			time.Sleep(2 * time.Millisecond)
			readers.Add(-1)
			if err := rw.RUnlock(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	assert.Zero(t, violations.Load())
	t.Logf("most readers at once: %d", maxReaders.Load())
	assert.Empty(t, ephemerals(t, cs[0], "/rw"))
}
