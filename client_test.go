package zkrecipes_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// expectStates reads changes from sub until it has seen want in order
// (other states may come between) or the deadline passes.
func expectState(t *testing.T, sub *zkrecipes.Subscription, want zkrecipes.State, within time.Duration) zkrecipes.StateChange {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		ch, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %v: %v", want, err)
		}
		if ch.State == want {
			return ch
		}
	}
}

func TestIntegration_Client_ConnectNamespaceAndOps(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)

	p, err := c.Create(ctx, "/a/b/c", []byte("x"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	assert.Equal(t, "/a/b/c", p)
	data, st, err := c.Get(ctx, "/a/b/c")
	require.NoError(t, err)
	assert.Equal(t, "x", string(data))

	// The namespace is real: the raw connection sees the node under it.
	ok, _, err := c.Conn().Exists(c.Namespace() + "/a/b/c")
	require.NoError(t, err)
	assert.True(t, ok)

	// Parents below the namespace are containers.
	_, pst, err := c.Conn().Exists(c.Namespace() + "/a")
	require.NoError(t, err)
	assert.Equal(t, int64(0), pst.EphemeralOwner)

	_, err = c.Set(ctx, "/a/b/c", []byte("y"), st.Version)
	require.NoError(t, err)
	_, err = c.Set(ctx, "/a/b/c", []byte("z"), st.Version)
	assert.ErrorIs(t, err, zk.ErrBadVersion)

	kids, _, err := c.Children(ctx, "/a/b")
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, kids)

	seq, err := c.Create(ctx, "/a/q-", nil, zkrecipes.PersistentSequential)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(seq, "/a/_c_"), seq)
	assert.True(t, strings.HasSuffix(seq[:len(seq)-10], "q-"), seq)

	_, err = c.Create(ctx, "/ttl", nil, zkrecipes.PersistentTTL, zkrecipes.WithTTL(time.Minute))
	require.NoError(t, err)

	res, err := c.Multi(ctx,
		&zk.CreateRequest{Path: "/m1", Data: []byte("1")},
		&zk.CreateRequest{Path: "/m2", Data: []byte("2")})
	require.NoError(t, err)
	assert.Equal(t, "/m1", res[0].String)
	_, err = c.Multi(ctx,
		&zk.CreateRequest{Path: "/m3"},
		&zk.CreateRequest{Path: "/m1"})
	assert.ErrorIs(t, err, zk.ErrNodeExists)
	ok, _, err = c.Exists(ctx, "/m3")
	require.NoError(t, err)
	assert.False(t, ok, "a failed multi must apply nothing")

	require.NoError(t, c.Delete(ctx, "/a/b/c", -1))
	assert.ErrorIs(t, c.Delete(ctx, "/a/b/c", -1), zk.ErrNoNode)
	require.NoError(t, c.Sync(ctx, "/"))
}

func TestIntegration_Client_BadInput(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 10*time.Second)
	for name, p := range map[string]string{
		"relative": "a", "trailing": "/a/", "empty segment": "/a//b", "dot": "/a/.",
		"dotdot": "/../a", "nul": "/a\x00", "reserved": "/zookeeper/x", "empty": "",
	} {
		_, err := c.Create(ctx, p, nil, zkrecipes.Persistent)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, name)
		_, _, err = c.Get(ctx, p)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, name)
	}
	_, err := c.Create(ctx, "/big", make([]byte, 2<<20), zkrecipes.Persistent)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	_, err = c.Create(ctx, "/t", nil, zkrecipes.PersistentTTL)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	_, err = c.Create(ctx, "/t", nil, zkrecipes.CreateMode(42))
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)

	servers := zktest.Servers(t)
	for name, opts := range map[string][]zkrecipes.Option{
		"negative timeout": {zkrecipes.WithSessionTimeout(-time.Second)},
		"bad namespace":    {zkrecipes.WithNamespace("ns")},
		"reserved ns":      {zkrecipes.WithNamespace("/zookeeper")},
		"empty ACL":        {zkrecipes.WithACL(nil)},
		"nil dialer":       {zkrecipes.WithDialer(nil)},
		"bad digest user":  {zkrecipes.WithDigestAuth("a:b", "c")},
		"nil retry":        {zkrecipes.WithRetry(nil)},
	} {
		_, err := zkrecipes.Connect(ctx, servers, opts...)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument, name)
	}
	_, err = zkrecipes.Connect(ctx, nil)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)

	c.Close()
	_, _, err = c.Get(ctx, "/")
	assert.ErrorIs(t, err, zkrecipes.ErrClosed)
	_, err = c.Create(ctx, "/x", nil, zkrecipes.EphemeralSequential)
	assert.ErrorIs(t, err, zkrecipes.ErrClosed)
	assert.NoError(t, c.Close(), "Close is idempotent")
}

func TestIntegration_Client_ConnectHonoursContext(t *testing.T) {
	zktest.SkipIfShort(t)
	d := zktest.NewFaultDialer()
	d.Blackhole()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := zkrecipes.Connect(ctx, zktest.Servers(t), zkrecipes.WithDialer(d.Dial))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second)
	d.Heal()
}

func TestIntegration_Client_DigestAuthAndACL(t *testing.T) {
	zktest.SkipIfShort(t)
	ns := zktest.Namespace(t)
	servers := zktest.Servers(t)
	owner := zktest.ClientAt(t, servers, ns, zkrecipes.WithDigestAuth("alice", "secret"),
		zkrecipes.WithACL(zk.DigestACL(zk.PermAll, "alice", "secret")))
	ctx := zktest.Context(t, 10*time.Second)
	// The namespace must be readable by the cleanup of both clients.
	_, err := owner.Create(ctx, "/open", nil, zkrecipes.Persistent, zkrecipes.WithParents(),
		zkrecipes.WithNodeACL(zk.WorldACL(zk.PermAll)))
	require.NoError(t, err)
	_, err = owner.Create(ctx, "/secret", []byte("s"), zkrecipes.Persistent)
	require.NoError(t, err)
	got, _, err := owner.Get(ctx, "/secret")
	require.NoError(t, err)
	assert.Equal(t, "s", string(got))

	other := zktest.ClientAt(t, servers, ns)
	_, _, err = other.Get(ctx, "/secret")
	assert.ErrorIs(t, err, zk.ErrNoAuth)
	require.NoError(t, owner.Delete(ctx, "/secret", -1))
}

func TestIntegration_Client_InFlightCallHonoursCancel(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	d.Blackhole()
	defer d.Heal()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Get(ctx, "/")
		done <- err
	}()
	// The request is queued or sent; neither go-zookeeper nor the server
	// will answer while the link is black-holed.
	time.AfterFunc(100*time.Millisecond, cancel)
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(2 * time.Second):
		t.Fatal("Get did not return after its context was cancelled")
	}
}

func TestIntegration_Client_LostReplyCreateIsAdopted(t *testing.T) {
	zktest.SkipIfShort(t)
	ns := zktest.Namespace(t)
	c, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns)
	ctx := zktest.Context(t, 20*time.Second)
	_, err := c.Create(ctx, "/dir", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	for _, mode := range []zkrecipes.CreateMode{zkrecipes.EphemeralSequential, zkrecipes.PersistentSequential} {
		dials, sent := d.Dials(), len(d.Sent())
		d.CutAfterRequest(1) // opCreate: the server applies it, the reply is lost
		p, err := c.Create(ctx, "/dir/n-", []byte("d"), mode)
		require.NoError(t, err, "mode %d", mode)
		assert.Greater(t, d.Dials(), dials, "the connection was really cut")
		// The server we reconnect to may not have applied the create yet:
		// the lookup must sync before it lists.
		assert.Equal(t, []int32{zktest.OpCreate, zktest.OpSync, zktest.OpGetChildren2},
			firstRequests(d.Sent()[sent:], 3), "mode %d", mode)
		kids, _, err := c.Children(ctx, "/dir")
		require.NoError(t, err)
		assert.Len(t, kids, 1, "exactly one node, mode %d: %v", mode, kids)
		assert.Equal(t, "/dir/"+kids[0], p)
		if mode == zkrecipes.EphemeralSequential {
			_, st, err := c.Exists(ctx, p)
			require.NoError(t, err)
			assert.Equal(t, c.Session().ID(), st.EphemeralOwner)
		}
		require.NoError(t, c.Delete(ctx, p, -1))
	}
}

func TestIntegration_Client_VersionedSetAppliedOnce(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 20*time.Second)
	_, err := c.Create(ctx, "/v", []byte("0"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	_, st, err := c.Get(ctx, "/v")
	require.NoError(t, err)
	dials := d.Dials()
	d.CutAfterRequest(5) // opSetData
	_, err = c.Set(ctx, "/v", []byte("1"), st.Version)
	assert.Greater(t, d.Dials(), dials)
	// Our own landed write is not reported as a conflict (which would make a
	// read-modify-write caller apply it twice), nor as a success that an
	// identical write by someone else could fake: the outcome is unknown.
	require.ErrorIs(t, err, zkrecipes.ErrUncertain)
	assert.ErrorIs(t, err, zk.ErrConnectionClosed)
	assert.NotErrorIs(t, err, zk.ErrBadVersion)
	_, fst, err := c.Get(ctx, "/v")
	require.NoError(t, err)
	assert.Equal(t, st.Version+1, fst.Version, "applied exactly once")

	// Someone else's write in between is still a conflict.
	_, err = c.Set(ctx, "/v", []byte("3"), st.Version)
	assert.ErrorIs(t, err, zk.ErrBadVersion)

	dials = d.Dials()
	d.CutAfterRequest(2) // opDelete
	require.NoError(t, c.Delete(ctx, "/v", fst.Version))
	assert.Greater(t, d.Dials(), dials)
}

func TestIntegration_Client_CancelledSequentialCreateLeavesNothing(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 20*time.Second)
	_, err := c.Create(ctx, "/dir", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)

	// Partition, start a create that cannot be answered, cancel it, heal:
	// the queued create lands on reconnection and must be removed.
	d.Blackhole()
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Create(cctx, "/dir/p-", nil, zkrecipes.PersistentSequential)
		errc <- err
	}()
	time.AfterFunc(50*time.Millisecond, cancel)
	require.ErrorIs(t, <-errc, context.Canceled)
	d.Heal()
	require.Eventually(t, func() bool {
		kids, _, err := c.Children(ctx, "/dir")
		return err == nil && len(kids) == 0
	}, 15*time.Second, 20*time.Millisecond, "the cancelled create's node was removed")
}

// firstRequests returns the first n opcodes of sent that are not pings or
// go-zookeeper's re-sent watches.
func firstRequests(sent []int32, n int) []int32 {
	var out []int32
	for _, op := range sent {
		if op != zktest.OpPing && op != zktest.OpSetWatches && len(out) < n {
			out = append(out, op)
		}
	}
	return out
}

// A Multi whose reply was lost is neither sent again (a transaction of
// sequential creates would be applied twice) nor reported as failed: its
// error matches ErrUncertain and zk.ErrConnectionClosed, and the
// transaction was applied exactly once.
func TestIntegration_Client_MultiLostReplySentOnce(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 20*time.Second)
	_, err := c.Create(ctx, "/m", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	count := func(ops []int32, op int32) int {
		n := 0
		for _, o := range ops {
			if o == op {
				n++
			}
		}
		return n
	}
	multis, dials := count(d.Sent(), zktest.OpMulti), d.Dials()
	d.CutAfterRequest(zktest.OpMulti)
	_, err = c.Multi(ctx,
		&zk.CreateRequest{Path: "/m/item-", Data: []byte("x"), Acl: zk.WorldACL(zk.PermAll), Flags: zk.FlagSequence},
		&zk.CreateRequest{Path: "/m/marker", Acl: zk.WorldACL(zk.PermAll)})
	require.ErrorIs(t, err, zkrecipes.ErrUncertain)
	assert.ErrorIs(t, err, zk.ErrConnectionClosed)
	kids, _, err := c.Children(ctx, "/m")
	require.NoError(t, err)
	assert.Greater(t, d.Dials(), dials, "the connection was cut")
	assert.Len(t, kids, 2, "applied exactly once: %v", kids)
	assert.Equal(t, 1, count(d.Sent(), zktest.OpMulti)-multis, "sent once")

	// The client goes on: the next transaction is answered.
	_, err = c.Multi(ctx, &zk.DeleteRequest{Path: "/m/marker", Version: -1})
	require.NoError(t, err)
}
