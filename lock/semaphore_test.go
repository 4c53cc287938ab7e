package lock_test

import (
	"context"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestLeaseNameCarriesMaxLeases(t *testing.T) {
	for name, want := range map[string]int{
		"_c_0123abcd-0000-0001-89ab-0123456789ab-max3-lease-0000000007": 3,
		"max12-lease-0000000001": 12,
	} {
		got, ok := lock.LeaseMax(name)
		assert.True(t, ok, name)
		assert.Equal(t, want, got, name)
	}
	for _, name := range []string{
		"_c_0123abcd-0000-0001-89ab-0123456789ab-lease-0000000007", // Curator's
		"lease-0000000001", "maxx-lease-0000000001", "max3lease-0000000001", "max3-lease-12",
	} {
		_, ok := lock.LeaseMax(name)
		assert.False(t, ok, name)
	}
}

func TestIntegration_Semaphore_Layout(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	s := zktest.Must(lock.NewSemaphore(c, "/sem", 3, lock.WithData([]byte("me"))))
	l, err := s.Acquire(ctx)
	require.NoError(t, err)
	kids, _, err := c.Children(ctx, "/sem")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{lock.LocksDir, lock.LeasesDir}, kids, "Curator's InterProcessSemaphoreV2 layout")
	leases, _, err := c.Children(ctx, "/sem/leases")
	require.NoError(t, err)
	require.Len(t, leases, 1)
	assert.Regexp(t, regexp.MustCompile(`^_c_[0-9a-f-]{36}-max3-lease-\d{10}$`), leases[0])
	assert.Equal(t, "/sem/leases/"+leases[0], l.Node())
	data, st, err := c.Get(ctx, l.Node())
	require.NoError(t, err)
	assert.Equal(t, "me", string(data))
	assert.Equal(t, st.Czxid, l.Token())
	locks, _, err := c.Children(ctx, "/sem/locks")
	require.NoError(t, err)
	assert.Empty(t, locks, "the admission mutex is released once the lease is held")

	require.NoError(t, l.Release(ctx))
	assert.ErrorIs(t, l.Release(ctx), lock.ErrNotLocked)
	assert.Zero(t, l.Token())
	assert.True(t, isClosed(l.Lost()))
}

func TestIntegration_Semaphore_AtMostNHolders(t *testing.T) {
	zktest.SkipIfShort(t)
	const max, n, rounds = 3, 6, 6
	_, cs := clients(t, n)
	ctx := zktest.Context(t, 60*time.Second)
	// maxLeases holders at once, and not one more.
	var ls []*lock.Lease
	for i := range max {
		l, err := zktest.Must(lock.NewSemaphore(cs[i], "/sem", max)).TryAcquire(ctx)
		require.NoError(t, err)
		ls = append(ls, l)
	}
	_, err := zktest.Must(lock.NewSemaphore(cs[max], "/sem", max)).TryAcquire(ctx)
	require.ErrorIs(t, err, lock.ErrNoLease)
	for _, l := range ls {
		require.NoError(t, l.Release(ctx))
	}

	var inside, most, violations atomic.Int64
	contenders(t, n, func(i int) error {
		s := zktest.Must(lock.NewSemaphore(cs[i], "/sem", max))
		for range rounds {
			l, err := s.Acquire(ctx)
			if err != nil {
				return err
			}
			v := inside.Add(1)
			if v > max {
				violations.Add(1)
			}
			for m := most.Load(); v > m && !most.CompareAndSwap(m, v); m = most.Load() {
			}
			time.Sleep(10 * time.Millisecond)
			inside.Add(-1)
			if err := l.Release(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	assert.Zero(t, violations.Load(), "more than maxLeases holders")
	assert.Greater(t, most.Load(), int64(1), "holders overlap")
	t.Logf("most holders at once: %d", most.Load())
	assert.Empty(t, ephemerals(t, cs[0], "/sem"))
}

func TestIntegration_Semaphore_AcquireNAllOrNothing(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 2)
	ctx := zktest.Context(t, 30*time.Second)
	a, b := zktest.Must(lock.NewSemaphore(cs[0], "/sem", 3)), zktest.Must(lock.NewSemaphore(cs[1], "/sem", 3))
	held, err := a.AcquireN(ctx, 2)
	require.NoError(t, err)
	require.Len(t, held, 2)
	assert.NotEqual(t, held[0].Token(), held[1].Token())

	// One lease is free: AcquireN(2) takes it and waits for a second; on
	// cancellation it gives back the one it took.
	bctx, cancel := context.WithCancel(ctx)
	bdone := make(chan error, 1)
	go func() {
		_, err := b.AcquireN(bctx, 2)
		bdone <- err
	}()
	// a's 2 leases + b's admission node + b's 2 leases.
	eventuallyEphemerals(t, cs[0], "/sem", 5, 10*time.Second)
	cancel()
	select {
	case err := <-bdone:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("AcquireN did not return after cancel")
	}
	assert.Len(t, ephemerals(t, cs[0], "/sem"), 2, "the cancelled AcquireN left nothing behind")

	var got []*lock.Lease
	go func() {
		var err error
		got, err = b.AcquireN(ctx, 2)
		bdone <- err
	}()
	eventuallyEphemerals(t, cs[0], "/sem", 5, 10*time.Second)
	require.NoError(t, held[0].Release(ctx))
	await(t, bdone, "AcquireN after a release")
	require.Len(t, got, 2)
	for _, l := range append(got, held[1]) {
		require.NoError(t, l.Release(ctx))
	}
	assert.Empty(t, ephemerals(t, cs[0], "/sem"))
}

// Two AcquireN(maxLeases) callers never each hold part and wait for the
// other: the admission mutex is held until all n are taken.
func TestIntegration_Semaphore_AcquireNNoDeadlock(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 2)
	ctx := zktest.Context(t, 30*time.Second)
	contenders(t, 2, func(i int) error {
		s := zktest.Must(lock.NewSemaphore(cs[i], "/sem", 2))
		for range 6 {
			ls, err := s.AcquireN(ctx, 2)
			if err != nil {
				return err
			}
			for _, l := range ls {
				if err := l.Release(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func TestIntegration_Semaphore_TryAcquire(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 2)
	ctx := zktest.Context(t, 20*time.Second)
	a, b := zktest.Must(lock.NewSemaphore(cs[0], "/sem", 1)), zktest.Must(lock.NewSemaphore(cs[1], "/sem", 1))
	l, err := a.TryAcquire(ctx)
	require.NoError(t, err)
	_, err = b.TryAcquire(ctx)
	assert.ErrorIs(t, err, lock.ErrNoLease)
	assert.Len(t, ephemerals(t, cs[0], "/sem"), 1, "a failed TryAcquire leaves nothing behind")
	require.NoError(t, l.Release(ctx))
	l, err = b.TryAcquire(ctx)
	require.NoError(t, err)
	require.NoError(t, l.Release(ctx))
}

// Participants that disagree on maxLeases: the newcomer is refused, the
// holder keeps its lease, nothing is over-admitted or left behind.
func TestIntegration_Semaphore_MaxLeasesMismatch(t *testing.T) {
	zktest.SkipIfShort(t)
	_, cs := clients(t, 2)
	ctx := zktest.Context(t, 20*time.Second)
	a, b := zktest.Must(lock.NewSemaphore(cs[0], "/sem", 2)), zktest.Must(lock.NewSemaphore(cs[1], "/sem", 3))
	l, err := a.Acquire(ctx)
	require.NoError(t, err)
	_, err = b.Acquire(ctx)
	require.ErrorIs(t, err, lock.ErrMaxLeasesMismatch)
	assert.Contains(t, err.Error(), "maxLeases 2")
	_, err = b.TryAcquire(ctx)
	require.ErrorIs(t, err, lock.ErrMaxLeasesMismatch)
	assert.Len(t, ephemerals(t, cs[0], "/sem"), 1)
	require.NoError(t, l.Release(ctx))

	// Once the old participants are gone, a new limit may take over.
	l, err = b.Acquire(ctx)
	require.NoError(t, err)
	_, err = a.TryAcquire(ctx)
	require.ErrorIs(t, err, lock.ErrMaxLeasesMismatch)
	require.NoError(t, l.Release(ctx))
	assert.Empty(t, ephemerals(t, cs[0], "/sem"))
}
