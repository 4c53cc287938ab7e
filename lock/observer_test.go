package lock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/observe/observetest"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A hold is reported from its acquisition to its release, a TryLock that
// finds the lock taken as busy, and a hold whose node another client
// deletes as lost when its Lost channel closes.
func TestIntegration_Observer_LockEvents(t *testing.T) {
	zktest.SkipIfShort(t)
	rec := observetest.New()
	c := zktest.Client(t, zkrecipes.WithObserver(rec.Observer()))
	ctx := zktest.Context(t, 20*time.Second)

	a := zktest.Must(lock.NewMutex(c, "/l"))
	b := zktest.Must(lock.NewMutex(c, "/l"))
	require.NoError(t, a.Lock(ctx))
	require.ErrorIs(t, b.TryLock(ctx), lock.ErrLocked)
	require.NoError(t, a.Unlock(ctx))

	require.NoError(t, a.Lock(ctx))
	lost := a.Lost()
	require.NoError(t, c.Delete(ctx, a.Node(), -1)) // an operator removes our node
	select {
	case <-lost:
	case <-ctx.Done():
		t.Fatal("Lost did not close")
	}
	require.True(t, rec.WaitFor(10*time.Second, func(r *observetest.Recorder) bool { return len(r.Losses) == 1 }), "loss not reported when Lost closed")
	require.NoError(t, a.Unlock(context.WithoutCancel(ctx)))

	rw := zktest.Must(lock.NewRWMutex(c, "/rw"))
	require.NoError(t, rw.RLock(ctx))
	require.NoError(t, rw.RUnlock(ctx))

	rec.Read(func(r *observetest.Recorder) {
		var got []string
		for _, e := range r.Acquires {
			got = append(got, e.Path+" "+e.Kind+" "+e.Result)
			require.Positive(t, e.Wait)
		}
		require.Equal(t, []string{"/l mutex ok", "/l mutex busy", "/l mutex ok", "/rw read ok"}, got)
		require.Len(t, r.Releases, 3, "one release per hold, lost or not")
		for _, e := range r.Releases {
			require.Positive(t, e.Held)
		}
		require.Len(t, r.Losses, 1, "a loss is reported once")
		require.Equal(t, "/l", r.Losses[0].Path)
	})
}

// A hold lost to a suspension nobody watched (Lost never called) is
// reported as lost at its Unlock.
func TestIntegration_Observer_LockLostUnwatched(t *testing.T) {
	zktest.SkipIfShort(t)
	rec := observetest.New()
	c, d := zktest.FaultyClient(t, zkrecipes.WithObserver(rec.Observer()))
	ctx := zktest.Context(t, 20*time.Second)
	m := zktest.Must(lock.NewMutex(c, "/l"))
	require.NoError(t, m.Lock(ctx))
	sub := c.Subscribe()
	defer sub.Close()
	d.Cut()
	for {
		ch, err := sub.Next(ctx)
		require.NoError(t, err)
		if ch.State == zkrecipes.Reconnected {
			break
		}
	}
	require.NoError(t, m.Unlock(ctx))
	rec.Read(func(r *observetest.Recorder) {
		require.Len(t, r.Losses, 1)
		require.Len(t, r.Releases, 1)
	})
}
