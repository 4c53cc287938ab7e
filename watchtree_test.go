package zkrecipes_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"github.com/zkrecipes/zkrecipes/internal/sock"
	"github.com/zkrecipes/zkrecipes/internal/wire"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// notices collects a persistent watch's notices.
type notices chan sock.Notice

func (ns notices) fn(n sock.Notice) { ns <- n }

// next returns the next notice, failing the test after a deadline.
func (ns notices) next(t *testing.T) sock.Notice {
	t.Helper()
	select {
	case n := <-ns:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no notice within 10 s")
		return sock.Notice{}
	}
}

// event returns the next notice, which must be an event of type typ on p.
func (ns notices) event(t *testing.T, typ zk.EventType, p string) {
	t.Helper()
	n := ns.next(t)
	require.Equal(t, sock.Changed, n.Kind, "notice %+v", n)
	assert.Equal(t, typ, n.Event.Type, "event %+v", n.Event)
	assert.Equal(t, p, n.Event.Path)
}

// none checks that no notice is waiting (after a round trip of the
// client that owns the watch, which would have come behind it).
func (ns notices) none(t *testing.T) {
	t.Helper()
	select {
	case n := <-ns:
		t.Fatalf("unexpected notice %+v", n)
	default:
	}
}

func watchTree(t *testing.T, ctx context.Context, c *zkrecipes.Client, p string) (*sock.Persistent, func(string) string, notices) {
	t.Helper()
	s, err := c.WaitSession(ctx)
	require.NoError(t, err)
	ns := make(notices, 1000)
	w, abs, err := seam.WatchTree(ctx, s, p, ns.fn)
	require.NoError(t, err)
	require.Equal(t, sock.Armed, ns.next(t).Kind, "Armed comes first")
	return w, abs, ns
}

// A recursive watch reports every change below its path, with paths
// relative to the namespace, and the replies of its reads come between
// its events in the order the server sent them.
func TestIntegration_WatchTree_EventsAndReadsInStreamOrder(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/t", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	w, abs, ns := watchTree(t, ctx, c, "/t")
	defer w.Remove()

	_, err = c.Create(ctx, "/t/a", []byte("1"), zkrecipes.Persistent)
	require.NoError(t, err)
	require.NoError(t, w.Read(sock.ReadReq{Op: wire.OpGetData, Path: abs("/t/a"), Tag: 7}))
	_, err = c.Set(ctx, "/t/a", []byte("2"), -1)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/t/a/b", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, "/t/a/b", -1))

	ns.event(t, zk.EventNodeCreated, "/t/a")
	r := ns.next(t)
	require.Equal(t, sock.Replied, r.Kind)
	assert.Equal(t, uint64(7), r.Tag)
	require.NoError(t, r.Err)
	assert.Equal(t, "1", string(r.Reply.Data), "read before the set: the reply comes before its event")
	ns.event(t, zk.EventNodeDataChanged, "/t/a")
	ns.event(t, zk.EventNodeCreated, "/t/a/b")
	ns.event(t, zk.EventNodeDeleted, "/t/a/b")

	require.NoError(t, w.Read(sock.ReadReq{Op: wire.OpGetChildren2, Path: abs("/t/missing"), Tag: 8}))
	r = ns.next(t)
	require.Equal(t, sock.Replied, r.Kind)
	assert.ErrorIs(t, r.Err, zk.ErrNoNode)

	assert.True(t, w.Remove())
	assert.Equal(t, sock.Ended, ns.next(t).Kind)
	assert.False(t, w.Remove(), "removed twice")
	_, err = c.Create(ctx, "/t/c", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	_, _, err = c.Exists(ctx, "/t")
	require.NoError(t, err)
	ns.none(t)
	assert.Empty(t, sessionWatches(t, c), "the server's watch went with the last local one")
}

// Data reads sent together go as one multiRead (one request for the
// server, whatever their number), and each still gets its own reply, in
// order: data and stat, or its error (a node that is not there), at the
// point of the stream where the multiRead was answered.
func TestIntegration_WatchTree_DataReadsInOneMultiRead(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/m", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	big := strings.Repeat("x", 300<<10) // more than one socket read
	for i, data := range []string{"one", big, ""} {
		_, err = c.Create(ctx, fmt.Sprintf("/m/%d", i), []byte(data), zkrecipes.Persistent)
		require.NoError(t, err)
	}
	w, abs, ns := watchTree(t, ctx, c, "/m")
	defer w.Remove()

	from := len(d.Sent())
	require.NoError(t, w.Read(
		sock.ReadReq{Op: wire.OpGetData, Path: abs("/m/0"), Tag: 1},
		sock.ReadReq{Op: wire.OpGetData, Path: abs("/m/missing"), Tag: 2},
		sock.ReadReq{Op: wire.OpGetData, Path: abs("/m/1"), Tag: 3},
		sock.ReadReq{Op: wire.OpGetChildren2, Path: abs("/m"), Tag: 4},
		sock.ReadReq{Op: wire.OpGetData, Path: abs("/m/2"), Tag: 5},
	))
	_, err = c.Set(ctx, "/m/0", []byte("two"), -1)
	require.NoError(t, err)
	replies := map[uint64]sock.Notice{}
	var order []uint64
	for len(replies) < 5 {
		n := ns.next(t)
		require.Equal(t, sock.Replied, n.Kind, "every reply comes before the set's event: %+v", n)
		replies[n.Tag] = n
		order = append(order, n.Tag)
	}
	ns.event(t, zk.EventNodeDataChanged, "/m/0")
	assert.Equal(t, []int32{wire.OpMultiRead, wire.OpGetChildren2}, d.Sent()[from:from+2], "four data reads in one multiRead, then the listing")
	assert.Equal(t, []uint64{1, 2, 3, 5, 4}, order, "the multiRead's results in order, then the listing")

	require.NoError(t, replies[1].Err)
	assert.Equal(t, "one", string(replies[1].Reply.Data))
	assert.EqualValues(t, 0, replies[1].Reply.Stat.Version)
	assert.ErrorIs(t, replies[2].Err, zk.ErrNoNode)
	require.NoError(t, replies[3].Err)
	assert.Equal(t, big, string(replies[3].Reply.Data))
	assert.EqualValues(t, len(big), replies[3].Reply.Stat.DataLength)
	require.NoError(t, replies[4].Err)
	assert.ElementsMatch(t, []string{"0", "1", "2"}, replies[4].Reply.Children)
	require.NoError(t, replies[5].Err)
	assert.Empty(t, replies[5].Reply.Data)
	for tag, n := range replies {
		assert.Equal(t, map[bool]int32{true: wire.OpGetChildren2, false: wire.OpGetData}[tag == 4], n.Reply.Op, "tag %d", tag)
	}
}

// ZooKeeper 3.6-3.8 keeps one watch mode per path and connection
// (ZOOKEEPER-4466): a one-shot watch on the path of a recursive one would
// end the recursive one after its first event. One-shot watches of that
// path are served by the recursive watch instead, and outlive it.
func TestIntegration_WatchTree_OneShotWatchOnItsPath(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/t", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	w, _, ns := watchTree(t, ctx, c, "/t")

	_, _, data, err := c.GetW(ctx, "/t")
	require.NoError(t, err)
	_, _, kids, err := c.ChildrenW(ctx, "/t")
	require.NoError(t, err)
	_, err = c.Create(ctx, "/t/a", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	ns.event(t, zk.EventNodeCreated, "/t/a")
	select {
	case ev := <-kids:
		assert.Equal(t, zk.EventNodeChildrenChanged, ev.Type)
		assert.Equal(t, c.Namespace()+"/t", ev.Path, "one-shot events carry the server's path")
	case <-time.After(10 * time.Second):
		t.Fatal("the child watch on the recursive watch's path did not fire")
	}
	_, err = c.Set(ctx, "/t", []byte("x"), -1)
	require.NoError(t, err)
	ns.event(t, zk.EventNodeDataChanged, "/t")
	require.Equal(t, zk.EventNodeDataChanged, (<-data).Type)

	// Both one-shot watches have fired: with a one-shot mode on the
	// server, the recursive watch would be gone now.
	_, err = c.Create(ctx, "/t/b", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	ns.event(t, zk.EventNodeCreated, "/t/b")

	// Removing a one-shot watch of the path leaves the recursive one whole
	// (ZOOKEEPER-4471).
	_, _, kw, err := c.ChildrenWatch(ctx, "/t", func(zk.Event) {})
	require.NoError(t, err)
	kw.Remove()
	_, err = c.Create(ctx, "/t/c", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	ns.event(t, zk.EventNodeCreated, "/t/c")

	// The recursive watch goes; a one-shot watch it served is set again on
	// the server and fires for the next change.
	_, _, data, err = c.GetW(ctx, "/t")
	require.NoError(t, err)
	_, _, kids, err = c.ChildrenW(ctx, "/t")
	require.NoError(t, err)
	w.Remove()
	require.Equal(t, sock.Ended, ns.next(t).Kind)
	_, err = c.Create(ctx, "/t/d", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	select {
	case ev := <-kids:
		assert.Equal(t, zk.EventNodeChildrenChanged, ev.Type)
	case <-time.After(10 * time.Second):
		t.Fatal("the child watch did not fire after the recursive watch went")
	}
	_, err = c.Set(ctx, "/t", []byte("y"), -1)
	require.NoError(t, err)
	select {
	case ev := <-data:
		assert.Equal(t, zk.EventNodeDataChanged, ev.Type)
	case <-time.After(10 * time.Second):
		t.Fatal("the data watch did not fire after the recursive watch went")
	}
	assert.Empty(t, sessionWatches(t, c), "every watch fired or was removed")
}

// A recursive watch lives as long as its connection: it ends with the
// connection's loss, and nothing of it is left for the next connection.
func TestIntegration_WatchTree_EndsWithItsConnection(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/t", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	w, abs, ns := watchTree(t, ctx, c, "/t")
	dials := d.Dials()
	d.Cut()
	n := ns.next(t)
	require.Equal(t, sock.Ended, n.Kind)
	assert.ErrorIs(t, n.Err, zk.ErrConnectionClosed)
	require.Eventually(t, func() bool { return d.Dials() > dials && c.State().IsConnected() }, 10*time.Second, time.Millisecond)
	assert.Error(t, w.Read(sock.ReadReq{Op: wire.OpGetData, Path: abs("/t"), Tag: 1}), "a read on an ended watch sends nothing")
	_, err = c.Create(ctx, "/t/a", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	ns.none(t)
	assert.Empty(t, sessionWatches(t, c))
}

// A ctx already done sends nothing and delivers nothing.
func TestIntegration_WatchTree_DoneCtxSendsNothing(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 30*time.Second)
	s, err := c.WaitSession(ctx)
	require.NoError(t, err)
	done, cancel := context.WithCancel(ctx)
	cancel()
	from := len(d.Sent())
	ns := make(notices, 10)
	_, _, err = seam.WatchTree(done, s, "/t", ns.fn)
	require.ErrorIs(t, err, context.Canceled)
	_, _, err = c.Exists(ctx, "/")
	require.NoError(t, err)
	assert.NotContains(t, d.Sent()[from:], wire.OpAddWatch)
	ns.none(t)
}

// sessionWatches returns the paths the server watches for c's session
// (the wchc four-letter word: watches by session).
func sessionWatches(t *testing.T, c *zkrecipes.Client) []string {
	t.Helper()
	out, err := zktest.FourLetterWord(zktest.Servers(t)[0], "wchc", 5*time.Second)
	require.NoError(t, err)
	var paths []string
	mine := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "0x"):
			mine = strings.EqualFold(strings.TrimSpace(line), fmt.Sprintf("0x%x", c.Session().ID()))
		case mine && strings.TrimSpace(line) != "":
			paths = append(paths, strings.TrimSpace(line))
		}
	}
	return paths
}

// A server without addWatch (before 3.6) answers it as unimplemented and
// closes the connection: the watch ends with the server's answer, read
// before the connection's end, and the session is not asked again.
func TestIntegration_WatchTree_UnknownToTheServer(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 30*time.Second)
	d.Unknown(zktest.OpAddWatch)
	s, err := c.WaitSession(ctx)
	require.NoError(t, err)
	ns := make(notices, 10)
	_, _, err = seam.WatchTree(ctx, s, "/t", ns.fn)
	require.ErrorIs(t, err, sock.ErrUnimplemented)
	n := ns.next(t)
	require.Equal(t, sock.Ended, n.Kind)
	assert.ErrorIs(t, n.Err, sock.ErrUnimplemented, "ended with the server's answer, not with the connection it closed")
	_, _, err = seam.WatchTree(ctx, s, "/t", ns.fn)
	require.ErrorIs(t, err, sock.ErrUnimplemented)
	_, _, err = c.Exists(ctx, "/")
	require.NoError(t, err)
	n2 := 0
	for _, op := range d.Sent() {
		if op == zktest.OpAddWatch {
			n2++
		}
	}
	assert.Equal(t, 1, n2, "asked once")
	ns.none(t)
}
