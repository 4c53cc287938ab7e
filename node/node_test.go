package node_test

import (
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/node"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Node_CreateSetClose(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	c := zktest.Client(t)
	n := zktest.Must(node.New(c, "/servers/a", []byte("v1")))
	assert.ErrorIs(t, n.WaitCreated(ctx), node.ErrNotStarted)
	n.Start()
	require.NoError(t, n.WaitCreated(ctx))
	assert.Equal(t, "/servers/a", n.ActualPath())
	data, st := get(t, ctx, c, "/servers/a")
	assert.Equal(t, "v1", string(data))
	assert.Equal(t, c.Session().ID(), st.EphemeralOwner)

	require.NoError(t, n.SetData(ctx, []byte("v2")))
	data, _ = get(t, ctx, c, "/servers/a")
	assert.Equal(t, "v2", string(data))

	require.NoError(t, n.Close(ctx))
	ok, _, err := c.Exists(ctx, "/servers/a")
	require.NoError(t, err)
	assert.False(t, ok, "Close deletes the node")
	assert.ErrorIs(t, n.WaitCreated(ctx), node.ErrClosed)
	assert.ErrorIs(t, n.SetData(ctx, nil), node.ErrClosed)
	require.NoError(t, n.Close(ctx), "Close is idempotent")
}

// Someone deletes the node: it is created again, once, with the latest
// data, in the same session.
func TestIntegration_Node_DeletedBySomeoneElse(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	c := zktest.ClientAt(t, zktest.Servers(t), ns)
	obs := zktest.ClientAt(t, zktest.Servers(t), ns)
	_, err := obs.Create(ctx, "/servers", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	n := zktest.Must(node.New(c, "/servers/a", []byte("v1")))
	n.Start()
	defer n.Close(ctx)
	require.NoError(t, n.WaitCreated(ctx))
	require.NoError(t, n.SetData(ctx, []byte("v2")))
	_, before := get(t, ctx, obs, "/servers/a")
	_, parent0 := get(t, ctx, obs, "/servers")

	require.NoError(t, obs.Delete(ctx, "/servers/a", -1))
	st := waitStat(t, ctx, obs, "/servers/a", "re-creation", func(st *zk.Stat) bool {
		return st != nil && st.Czxid != before.Czxid
	})
	assert.Equal(t, c.Session().ID(), st.EphemeralOwner)
	data, _ := get(t, ctx, obs, "/servers/a")
	assert.Equal(t, "v2", string(data), "the latest data survives re-creation")
	require.NoError(t, n.WaitCreated(ctx))
	_, parent := get(t, ctx, obs, "/servers")
	assert.Equal(t, parent0.Cversion+2, parent.Cversion, "one delete and one create: never created twice")
}

// The session expires while the client is partitioned: the node goes with
// it, and comes back once, in the next session, with the latest data. The
// client is healed as soon as it declares the session lost, which may be
// before the server has expired it: the old node is then still there,
// owned by our old session, and must be waited out, not adopted.
func TestIntegration_Node_SessionExpiry(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	obs := zktest.ClientAt(t, zktest.Servers(t), ns)
	c, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns, zkrecipes.WithSessionTimeout(time.Second))
	_, err := obs.Create(ctx, "/servers", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	n := zktest.Must(node.New(c, "/servers/a", []byte("v1")))
	n.Start()
	defer n.Close(ctx)
	require.NoError(t, n.WaitCreated(ctx))
	old := c.Session()
	require.NoError(t, n.SetData(ctx, []byte("v2")))
	_, parent0 := get(t, ctx, obs, "/servers")

	sub := c.Subscribe()
	defer sub.Close()
	start := time.Now()
	d.Blackhole()
	waitState(t, ctx, sub, zkrecipes.Lost)
	lost := time.Now()
	d.Heal()

	st := waitStat(t, ctx, obs, "/servers/a", "re-creation in the next session", func(st *zk.Stat) bool {
		return st != nil && st.EphemeralOwner != old.ID()
	})
	t.Logf("partitioned at 0, Lost at %v, created again at %v (session timeout %v)",
		lost.Sub(start).Round(time.Millisecond), time.Since(start).Round(time.Millisecond), old.Timeout())
	require.NoError(t, n.WaitCreated(ctx))
	assert.Equal(t, c.Session().ID(), st.EphemeralOwner)
	data, _ := get(t, ctx, obs, "/servers/a")
	assert.Equal(t, "v2", string(data), "the latest data survives re-creation")
	_, parent := get(t, ctx, obs, "/servers")
	assert.Equal(t, parent0.Cversion+2, parent.Cversion, "deleted with the session, created once again")
}

// Two processes register the same path: the second never takes over the
// first one's live node, reports the conflict, and gets the path once the
// first lets go.
func TestIntegration_Node_ConflictNotTakenOver(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	a := zktest.ClientAt(t, zktest.Servers(t), ns)
	b := zktest.ClientAt(t, zktest.Servers(t), ns)
	na := zktest.Must(node.New(a, "/servers/x", []byte("a")))
	na.Start()
	defer na.Close(ctx)
	require.NoError(t, na.WaitCreated(ctx))

	nb := zktest.Must(node.New(b, "/servers/x", []byte("b"), node.WithConflictWait(300*time.Millisecond)))
	nb.Start()
	defer nb.Close(ctx)
	err := nb.WaitCreated(ctx)
	var ce *node.ConflictError
	require.True(t, errors.As(err, &ce), "want a ConflictError, got %v", err)
	assert.ErrorIs(t, err, node.ErrConflict)
	assert.Equal(t, a.Session().ID(), ce.Owner)
	data, st := get(t, ctx, b, "/servers/x")
	assert.Equal(t, "a", string(data), "not taken over")
	assert.Equal(t, a.Session().ID(), st.EphemeralOwner)
	assert.Empty(t, nb.ActualPath())

	// b closing while in conflict must not delete a's node.
	nc := zktest.Must(node.New(b, "/servers/x", []byte("c"), node.WithConflictWait(time.Hour)))
	nc.Start()
	require.NoError(t, nc.Close(ctx))
	_, st = get(t, ctx, b, "/servers/x")
	assert.Equal(t, a.Session().ID(), st.EphemeralOwner, "a closed contender leaves the holder's node alone")

	require.NoError(t, na.Close(ctx))
	waitStat(t, ctx, a, "/servers/x", "b's node once a's is gone", func(st *zk.Stat) bool {
		return st != nil && st.EphemeralOwner == b.Session().ID()
	})
	require.NoError(t, nb.WaitCreated(ctx), "the conflict is over")
	data, _ = get(t, ctx, a, "/servers/x")
	assert.Equal(t, "b", string(data))
}

// The reply to the create is lost with the connection: the node the
// server made is adopted, not made twice nor reported as a conflict.
func TestIntegration_Node_LostCreateReplyAdopted(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	obs := zktest.ClientAt(t, zktest.Servers(t), ns)
	c, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns)
	_, err := obs.Create(ctx, "/servers", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	_, parent0 := get(t, ctx, obs, "/servers")

	n := zktest.Must(node.New(c, "/servers/a", []byte("v1"), node.WithConflictWait(300*time.Millisecond)))
	d.CutAfterRequest(zktest.OpCreate)
	n.Start()
	defer n.Close(ctx)
	require.NoError(t, n.WaitCreated(ctx))
	assert.False(t, d.Armed(), "the create's reply was lost")
	data, st := get(t, ctx, obs, "/servers/a")
	assert.Equal(t, "v1", string(data))
	assert.Equal(t, c.Session().ID(), st.EphemeralOwner)
	_, parent := get(t, ctx, obs, "/servers")
	assert.Equal(t, parent0.Cversion+1, parent.Cversion, "created once")
}

// Protected sequential mode: the node gets a protected sequential name, and
// a new one when it is deleted by someone else.
func TestIntegration_Node_ProtectedSequential(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	c := zktest.ClientAt(t, zktest.Servers(t), ns)
	obs := zktest.ClientAt(t, zktest.Servers(t), ns)
	n := zktest.Must(node.New(c, "/workers/w-", []byte("x"), node.WithProtectedSequential()))
	n.Start()
	require.NoError(t, n.WaitCreated(ctx))
	first := n.ActualPath()
	assert.Regexp(t, `^/workers/_c_[0-9a-f-]{36}-w-\d{10}$`, first)
	require.NoError(t, obs.Delete(ctx, first, -1))
	waitStat(t, ctx, obs, first, "deletion", func(st *zk.Stat) bool { return st == nil })
	for {
		kids, _, w, err := obs.ChildrenW(ctx, "/workers")
		require.NoError(t, err)
		if len(kids) == 1 {
			assert.NotEqual(t, first, "/workers/"+kids[0])
			break
		}
		select {
		case <-w:
		case <-ctx.Done():
			t.Fatal("not created again")
		}
	}
	require.NoError(t, n.WaitCreated(ctx))
	require.NoError(t, n.Close(ctx))
	kids, _, err := obs.Children(ctx, "/workers")
	if !errors.Is(err, zk.ErrNoNode) {
		require.NoError(t, err)
	}
	assert.Empty(t, kids)
}

// A short disconnection that keeps the session changes nothing: the same
// node stays (no departure for observers), and nothing is created again.
func TestIntegration_Node_ShortDisconnectKeepsNode(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	obs := zktest.ClientAt(t, zktest.Servers(t), ns)
	c, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns)
	_, err := obs.Create(ctx, "/servers", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	n := zktest.Must(node.New(c, "/servers/a", []byte("v1")))
	n.Start()
	defer n.Close(ctx)
	require.NoError(t, n.WaitCreated(ctx))
	_, before := get(t, ctx, obs, "/servers/a")
	_, parent0 := get(t, ctx, obs, "/servers")
	// Watch for any change of the node while the connection is cut.
	_, _, w, err := obs.ExistsW(ctx, "/servers/a")
	require.NoError(t, err)

	sub := c.Subscribe()
	defer sub.Close()
	sess := c.Session()
	for range 3 {
		d.Cut()
		waitState(t, ctx, sub, zkrecipes.Suspended)
		waitState(t, ctx, sub, zkrecipes.Reconnected)
	}
	require.NoError(t, n.SetData(ctx, []byte("v2"))) // a round trip through the node after the cuts
	ev := <-w
	assert.Equal(t, zk.EventNodeDataChanged, ev.Type, "the first change observers see is our SetData, not a departure")
	_, st := get(t, ctx, obs, "/servers/a")
	assert.Equal(t, before.Czxid, st.Czxid, "the same node")
	assert.Equal(t, sess, c.Session())
	_, parent := get(t, ctx, obs, "/servers")
	assert.Equal(t, parent0.Cversion, parent.Cversion, "nothing deleted or created")
}
