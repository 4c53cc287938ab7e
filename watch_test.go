package zkrecipes_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Watches are zkrecipes' own (internal/sock): each new connection of the
// session sets them again with one setWatches request, and a client that
// watches nothing sends none.
func TestIntegration_Watch_ReconnectSetsWatchesOnce(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 20*time.Second)
	reconnect := func() []int32 {
		from := len(d.Sent())
		dials := d.Dials()
		d.Cut()
		require.Eventually(t, func() bool { return d.Dials() > dials && c.State().IsConnected() }, 10*time.Second, time.Millisecond)
		_, _, err := c.Exists(ctx, "/") // a request after the reconnection: setWatches went before it
		require.NoError(t, err)
		return d.Sent()[from:]
	}
	assert.NotContains(t, reconnect(), zktest.OpSetWatches, "nothing to watch, nothing to set")

	_, err := c.Create(ctx, "/a", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	_, _, _, err = c.GetW(ctx, "/a")
	require.NoError(t, err)
	_, _, _, err = c.ExistsW(ctx, "/missing")
	require.NoError(t, err)
	_, _, _, err = c.ChildrenW(ctx, "/a")
	require.NoError(t, err)
	n := 0
	for _, op := range reconnect() {
		if op == zktest.OpSetWatches {
			n++
		}
	}
	assert.Equal(t, 1, n, "one setWatches for three watches")
}

// A change made while the client was cut off fires the watch on
// reconnection (the server compares with the last zxid the client saw),
// for each kind of watch.
func TestIntegration_Watch_ChangeWhileDisconnectedFires(t *testing.T) {
	zktest.SkipIfShort(t)
	ns := zktest.Namespace(t)
	c, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns)
	other := zktest.ClientAt(t, zktest.Servers(t), ns)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/d", []byte("0"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	_, _, data, err := c.GetW(ctx, "/d")
	require.NoError(t, err)
	ok, _, exist, err := c.ExistsW(ctx, "/e")
	require.NoError(t, err)
	require.False(t, ok)
	_, _, kids, err := c.ChildrenW(ctx, "/d")
	require.NoError(t, err)

	d.Blackhole()
	_, err = other.Set(ctx, "/d", []byte("1"), -1)
	require.NoError(t, err)
	_, err = other.Create(ctx, "/e", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	_, err = other.Create(ctx, "/d/k", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	d.Heal()

	for name, want := range map[string]struct {
		ch <-chan zk.Event
		ty zk.EventType
	}{"data": {data, zk.EventNodeDataChanged}, "exist": {exist, zk.EventNodeCreated}, "child": {kids, zk.EventNodeChildrenChanged}} {
		select {
		case ev := <-want.ch:
			assert.Equal(t, want.ty, ev.Type, "%s watch: %+v", name, ev)
		case <-ctx.Done():
			t.Fatalf("the %s watch never fired", name)
		}
	}
}

// A watch ends with EventNotWatching when the session ends, whether the
// client closes or the session is lost; a watch asked for after that
// fails.
func TestIntegration_Watch_EndsWithTheSession(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)

	c := zktest.Client(t)
	_, _, ch, err := c.ExistsW(ctx, "/x")
	require.NoError(t, err)
	c.Close()
	ev := <-ch
	assert.Equal(t, zk.EventNotWatching, ev.Type)
	assert.ErrorIs(t, ev.Err, zkrecipes.ErrClosed)
	_, _, _, err = c.ExistsW(ctx, "/x")
	assert.ErrorIs(t, err, zkrecipes.ErrClosed)

	f, d := zktest.FaultyClient(t, zkrecipes.WithSessionTimeout(time.Second))
	s := f.Session()
	_, _, ch, err = s.ExistsW(ctx, "/x")
	require.NoError(t, err)
	d.Blackhole()
	select {
	case ev := <-ch:
		assert.Equal(t, zk.EventNotWatching, ev.Type)
		assert.ErrorIs(t, ev.Err, zkrecipes.ErrSessionLost)
	case <-ctx.Done():
		t.Fatal("the watch outlived its session")
	}
	_, _, _, err = s.ExistsW(ctx, "/x")
	assert.ErrorIs(t, err, zkrecipes.ErrSessionLost)
}

// A watching read whose ctx is done sends nothing; one cancelled while
// it waits for a reply returns at once and leaves no watcher behind.
func TestIntegration_Watch_Cancelled(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 20*time.Second)
	done, cancel := context.WithCancel(ctx)
	cancel()
	from := len(d.Sent())
	_, _, _, err := c.GetW(done, "/")
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, d.Sent()[from:], "a done ctx sends nothing")

	d.Blackhole()
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, _, _, err := c.GetW(cctx, "/")
		errc <- err
	}()
	require.True(t, waitStack(t, "sock.(*Set).sendOn", 5*time.Second), "the read never waited for its reply")
	start := time.Now()
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	assert.Less(t, time.Since(start), 100*time.Millisecond)
	d.Heal()
	require.Eventually(t, func() bool { return c.State().IsConnected() }, 10*time.Second, time.Millisecond)
	assert.Zero(t, zkrecipes.WatchersForTest(c), "the cancelled read left a watcher")
}

// Watches on nodes only an authenticated client may read are set again
// after a reconnection too (setWatches goes out before go-zookeeper
// resends the credentials).
func TestIntegration_Watch_ACLProtectedSurvivesReconnect(t *testing.T) {
	zktest.SkipIfShort(t)
	ns := zktest.Namespace(t)
	c, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns, zkrecipes.WithDigestAuth("wa", "pw"))
	other := zktest.ClientAt(t, zktest.Servers(t), ns, zkrecipes.WithDigestAuth("wa", "pw"))
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/p", []byte("0"), zkrecipes.Persistent, zkrecipes.WithParents(), zkrecipes.WithNodeACL(zk.DigestACL(zk.PermAll, "wa", "pw")))
	require.NoError(t, err)
	_, _, ch, err := c.GetW(ctx, "/p")
	require.NoError(t, err)
	d.Blackhole()
	_, err = other.Set(ctx, "/p", []byte("1"), -1)
	require.NoError(t, err)
	d.Heal()
	select {
	case ev := <-ch:
		assert.Equal(t, zk.EventNodeDataChanged, ev.Type, "%+v", ev)
	case <-ctx.Done():
		t.Fatal("the watch never fired")
	}
}
