package zkrecipes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Client_ServerRestartKeepsSession(t *testing.T) {
	zktest.SkipIfShort(t)
	srv, err := zktest.StartServer()
	require.NoError(t, err)
	defer srv.Close()
	// The timeout must outlast a restart of the JVM, which under the load
	// of the whole suite has taken more than 6 s: the session then expired
	// and the client, rightly, never reconnected to it.
	c := zktest.ClientAt(t, []string{srv.Addr()}, zktest.Namespace(t), zkrecipes.WithSessionTimeout(20*time.Second))
	sub := c.Subscribe()
	defer sub.Close()
	s := c.Session()
	id := s.ID()
	assert.Equal(t, zkrecipes.Connected, c.State())

	require.NoError(t, srv.Stop())
	expectState(t, sub, zkrecipes.Suspended, 10*time.Second)
	assert.False(t, s.Connected())
	require.NoError(t, s.Err(), "suspended is not lost")
	require.NoError(t, srv.Restart())
	ch := expectState(t, sub, zkrecipes.Reconnected, 20*time.Second)
	assert.Equal(t, id, ch.Session.ID())
	assert.Equal(t, id, c.Session().ID(), "same session after a restart within the timeout")
	assert.True(t, s.Connected())
	require.NoError(t, s.Err())
}

func TestIntegration_Client_PartitionPastTimeoutIsLostThenNewSession(t *testing.T) {
	zktest.SkipIfShort(t)
	const timeout = 2 * time.Second
	c, d := zktest.FaultyClient(t, zkrecipes.WithSessionTimeout(timeout))
	ctx := zktest.Context(t, 30*time.Second)
	sub := c.Subscribe()
	defer sub.Close()
	old := c.Session()
	_, err := old.Create(ctx, "/eph", nil, zkrecipes.Ephemeral, zkrecipes.WithParents())
	require.NoError(t, err)

	start := time.Now()
	d.Blackhole()
	expectState(t, sub, zkrecipes.Suspended, timeout)
	ch := expectState(t, sub, zkrecipes.Lost, 2*timeout)
	took := time.Since(start)
	assert.Same(t, old, ch.Session)
	assert.LessOrEqual(t, took, old.Timeout()+500*time.Millisecond, "Lost within the timeout plus slack, while still partitioned")
	t.Logf("partition to Lost: %v (negotiated timeout %v)", took, old.Timeout())
	select {
	case <-old.Done():
	default:
		t.Fatal("Done not closed on Lost")
	}
	assert.ErrorIs(t, old.Err(), zkrecipes.ErrSessionLost)
	_, _, err = old.Get(ctx, "/")
	assert.ErrorIs(t, err, zkrecipes.ErrSessionLost, "a pinned operation never runs in another session")

	d.Heal()
	ch = expectState(t, sub, zkrecipes.Connected, 15*time.Second)
	assert.NotEqual(t, old.ID(), ch.Session.ID())
	s, err := c.WaitSession(ctx)
	require.NoError(t, err)
	assert.Same(t, ch.Session, s)
	// The server expires a session at the tick after its timeout, so the
	// node may outlive our Lost by up to one tick (100ms here).
	require.Eventually(t, func() bool {
		ok, _, err := c.Exists(ctx, "/eph")
		return err == nil && !ok
	}, 2*time.Second, 20*time.Millisecond, "the old session's ephemeral node is gone")
}

func TestIntegration_Client_CutConnectionReconnectsSameSession(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	sub := c.Subscribe()
	defer sub.Close()
	id := c.Session().ID()
	d.Cut()
	expectState(t, sub, zkrecipes.Suspended, 5*time.Second)
	ch := expectState(t, sub, zkrecipes.Reconnected, 5*time.Second)
	assert.Equal(t, id, ch.Session.ID())
}

func TestIntegration_Client_SlowSubscriberNeverBlocks(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	slow := c.Subscribe() // never read until the end
	defer slow.Close()
	fast := c.Subscribe()
	defer fast.Close()
	for i := 0; i < 5; i++ {
		d.Cut()
		expectState(t, fast, zkrecipes.Suspended, 5*time.Second)
		expectState(t, fast, zkrecipes.Reconnected, 5*time.Second)
	}
	ctx := zktest.Context(t, 5*time.Second)
	var got []zkrecipes.State
	for len(got) < 10 {
		ch, err := slow.Next(ctx)
		require.NoError(t, err)
		got = append(got, ch.State)
	}
	for i := 0; i < 10; i += 2 {
		assert.Equal(t, []zkrecipes.State{zkrecipes.Suspended, zkrecipes.Reconnected}, got[i:i+2], "every transition, in order")
	}
	c.Close()
	ch, err := slow.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, zkrecipes.Closed, ch.State)
	_, err = slow.Next(ctx)
	assert.True(t, errors.Is(err, zkrecipes.ErrClosed))
}

func TestIntegration_Client_EnsembleFailoverKeepsSession(t *testing.T) {
	zktest.SkipIfShort(t)
	e := zktest.NewEnsemble(t, 3)
	c := zktest.ClientAt(t, e.Addrs(), zktest.Namespace(t), zkrecipes.WithSessionTimeout(8*time.Second))
	ctx := zktest.Context(t, 60*time.Second)
	sub := c.Subscribe()
	defer sub.Close()
	id := c.Session().ID()
	_, err := c.Create(ctx, "/e", nil, zkrecipes.Ephemeral, zkrecipes.WithParents())
	require.NoError(t, err)
	server := c.Conn().Server()
	idx := -1
	for i, a := range e.Addrs() {
		if a == server {
			idx = i
		}
	}
	require.GreaterOrEqual(t, idx, 0, "connected server %s among %v", server, e.Addrs())
	require.NoError(t, e.Server(idx).Stop())
	expectState(t, sub, zkrecipes.Suspended, 10*time.Second)
	ch := expectState(t, sub, zkrecipes.Reconnected, 20*time.Second)
	assert.Equal(t, id, ch.Session.ID())
	assert.NotEqual(t, server, c.Conn().Server())
	ok, st, err := c.Exists(ctx, "/e")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, id, st.EphemeralOwner)
	require.NoError(t, e.Server(idx).Restart())
}

func TestIntegration_Client_CloseLeavesNoGoroutines(t *testing.T) {
	zktest.SkipIfShort(t)
	// TestMain's leak check covers every test; this one exercises Close
	// with operations in flight and subscriptions open.
	d := zktest.NewFaultDialer()
	c, err := zkrecipes.Connect(zktest.Context(t, 10*time.Second), zktest.Servers(t), zkrecipes.WithDialer(d.Dial))
	require.NoError(t, err)
	_ = c.Subscribe()
	d.Blackhole()
	errc := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), "/")
		errc <- err
	}()
	closed := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { c.Close(); close(closed) })
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, zkrecipes.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight Get did not end on Close")
	}
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close of a partitioned client took longer than 3s")
	}
	d.Heal()
}

func TestIntegration_Client_RequestQueuedBeforeLossNeverRunsInNewSession(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t, zkrecipes.WithSessionTimeout(time.Second))
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/dir", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	sub := c.Subscribe()
	defer sub.Close()

	d.Blackhole()
	expectState(t, sub, zkrecipes.Suspended, 5*time.Second)
	// Queued while disconnected: plain go-zookeeper would send these on
	// the new session it silently opens after the expiry.
	errs := make(chan error, 2)
	go func() {
		_, err := c.Create(ctx, "/dir/eph", nil, zkrecipes.Ephemeral)
		errs <- err
	}()
	go func() {
		_, err := c.Create(ctx, "/dir/seq-", nil, zkrecipes.EphemeralSequential)
		errs <- err
	}()
	expectState(t, sub, zkrecipes.Lost, 5*time.Second)
	d.Heal()
	for i := 0; i < 2; i++ {
		assert.ErrorIs(t, <-errs, zkrecipes.ErrSessionLost)
	}
	expectState(t, sub, zkrecipes.Connected, 10*time.Second)
	kids, _, err := c.Children(ctx, "/dir")
	require.NoError(t, err)
	assert.Empty(t, kids, "no request of the lost session ran in the new one")
}

// An operation whose ctx can never be cancelled runs on the caller's
// goroutine (no hand-off to a pooled one); the session's end still ends it.
func TestIntegration_Client_UncancellableOpEndsWithSession(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t, zkrecipes.WithSessionTimeout(time.Second))
	sub := c.Subscribe()
	defer sub.Close()
	d.Blackhole()
	errc := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), "/")
		errc <- err
	}()
	expectState(t, sub, zkrecipes.Lost, 5*time.Second)
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, zkrecipes.ErrSessionLost)
	case <-time.After(3 * time.Second):
		t.Fatal("a Get with context.Background() outlived its session by 3s")
	}
	d.Heal()
}

// A subscription taken after Close sees Closed, then ErrClosed, as one
// taken before it does (it used to wait for ctx after Closed).
func TestIntegration_Client_SubscribeAfterCloseEnds(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	c.Close()
	sub := c.Subscribe()
	defer sub.Close()
	ctx := zktest.Context(t, 5*time.Second)
	ch, err := sub.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, zkrecipes.Closed, ch.State)
	_, err = sub.Next(ctx)
	assert.ErrorIs(t, err, zkrecipes.ErrClosed)
}
