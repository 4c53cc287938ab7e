package barrier_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func waitAsync(ctx context.Context, b *barrier.Barrier) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- b.Wait(ctx) }()
	return ch
}

func TestIntegration_Barrier_SetWaitRemove(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	srv := zktest.Servers(t)
	c1, c2 := zktest.ClientAt(t, srv, ns), zktest.ClientAt(t, srv, ns)
	b1, b2 := zktest.Must(barrier.New(c1, "/gates/g")), zktest.Must(barrier.New(c2, "/gates/g"))

	// Absent: Wait returns at once.
	require.NoError(t, b2.Wait(ctx))

	require.NoError(t, b1.Set(ctx))
	require.NoError(t, b1.Set(ctx), "setting twice is fine")
	done := waitAsync(ctx, b2)
	select {
	case err := <-done:
		t.Fatalf("Wait returned while the barrier is set: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	// A data change on the node is not a removal.
	_, err := c1.Set(ctx, "/gates/g", []byte("x"), -1)
	require.NoError(t, err)
	select {
	case err := <-done:
		t.Fatalf("Wait returned after a data change: %v", err)
	case <-time.After(200 * time.Millisecond):
	}

	require.NoError(t, b1.Remove(ctx))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after Remove")
	}
	require.NoError(t, b1.Remove(ctx), "removing twice is fine")
}

func TestIntegration_Barrier_WaitCancelled(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	b := zktest.Must(barrier.New(c, "/g"))
	require.NoError(t, b.Set(ctx))

	wctx, cancel := context.WithCancel(ctx)
	done := waitAsync(wctx, b)
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("Wait ignored cancellation")
	}
}

func TestIntegration_Barrier_WaitSurvivesSessionLoss(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	srv := zktest.Servers(t)
	waiter, d := zktest.FaultyClientAt(t, srv, ns, zkrecipes.WithSessionTimeout(time.Second))
	owner := zktest.ClientAt(t, srv, ns)
	b := zktest.Must(barrier.New(owner, "/g"))
	require.NoError(t, b.Set(ctx))

	sub := waiter.Subscribe()
	defer sub.Close()
	done := waitAsync(ctx, zktest.Must(barrier.New(waiter, "/g")))
	d.Blackhole()
	for {
		ch, err := sub.Next(ctx)
		require.NoError(t, err)
		if ch.State == zkrecipes.Lost {
			break
		}
	}
	d.Heal()
	select {
	case err := <-done:
		t.Fatalf("Wait returned on session loss: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	_, err := waiter.WaitSession(ctx)
	require.NoError(t, err)
	require.NoError(t, b.Remove(ctx))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after Remove in the new session")
	}
}

func TestBarrier_BadInput(t *testing.T) {
	c := new(zkrecipes.Client) // never used for I/O
	for _, p := range []string{"no-slash", "", "/a/", "/zookeeper/b"} {
		b, err := barrier.New(c, p)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, "%q", p)
		assert.ErrorContains(t, err, "barrier: New: ")
		assert.Nil(t, b)
	}
	assert.PanicsWithValue(t, "barrier: New: nil client", func() { _, _ = barrier.New(nil, "/b") })
}
