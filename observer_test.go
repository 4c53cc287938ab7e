package zkrecipes_test

import (
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/observe/observetest"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestResultOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{&zkrecipes.OpError{Op: "get", Err: zk.ErrNoNode}, "no_node"},
		{zk.ErrNodeExists, "node_exists"},
		{zk.ErrBadVersion, "bad_version"},
		{zkrecipes.ErrClosed, "closed"},
		{zkrecipes.ErrSessionLost, "session_lost"},
		{zk.ErrConnectionClosed, "connection_loss"},
		{zkrecipes.ErrTooLarge, "invalid"},
		{errors.New("boom"), "error"},
	} {
		require.Equal(t, tc.want, zkrecipes.ResultOf(tc.err), "ResultOf(%v)", tc.err)
	}
}

// Operations are reported in pairs, with their result; a request whose
// reply was lost is reported as a retry.
func TestIntegration_Observer_Ops(t *testing.T) {
	zktest.SkipIfShort(t)
	rec := observetest.New()
	c, d := zktest.FaultyClient(t, zkrecipes.WithObserver(rec.Observer()))
	ctx := zktest.Context(t, 20*time.Second)

	_, err := c.Create(ctx, "/a", []byte("x"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	_, _, err = c.Get(ctx, "/missing")
	require.ErrorIs(t, err, zk.ErrNoNode)
	_, err = c.Create(ctx, "/q/n-", nil, zkrecipes.PersistentSequential, zkrecipes.WithParents())
	require.NoError(t, err)

	_, err = c.Multi(ctx, &zk.CheckVersionRequest{Path: "/a", Version: 0})
	require.NoError(t, err)

	d.CutAfterRequest(zktest.OpGetData) // the reply is lost: the get is sent again
	got, _, err := c.Get(ctx, "/a")
	require.NoError(t, err)
	require.Equal(t, "x", string(got))

	rec.Read(func(r *observetest.Recorder) {
		require.Equal(t, len(r.OpStarts), len(r.OpDones), "every OpStart has its OpDone")
		byOp := map[string][]string{}
		for _, e := range r.OpDones {
			byOp[e.Op+" "+e.Path] = append(byOp[e.Op+" "+e.Path], e.Result)
			require.Positive(t, e.Duration)
		}
		require.Equal(t, []string{"ok"}, byOp["create /a"])
		require.Equal(t, []string{"no_node"}, byOp["get /missing"])
		require.Equal(t, []string{"ok"}, byOp["create /q/n-"])
		require.Equal(t, []string{"ok"}, byOp["get /a"])
		require.Equal(t, []string{"ok"}, byOp["multi "], "one report per Multi")
		require.Len(t, r.Retries, 1)
		require.Equal(t, zkrecipes.RetryEvent{Op: "get", Path: "/a", Attempt: 2, Err: r.Retries[0].Err}, r.Retries[0])
		require.ErrorIs(t, r.Retries[0].Err, zk.ErrConnectionClosed)
	})
}

// A cut connection is reported as a suspension that the reconnection ends,
// with its length; a session lost to a partition says so.
func TestIntegration_Observer_Connection(t *testing.T) {
	zktest.SkipIfShort(t)
	rec := observetest.New()
	c, d := zktest.FaultyClient(t, zkrecipes.WithObserver(rec.Observer()), zkrecipes.WithSessionTimeout(time.Second))
	first := c.Session()

	d.Cut()
	require.True(t, rec.WaitFor(10*time.Second, func(r *observetest.Recorder) bool {
		return len(r.Conns) > 0 && r.Conns[len(r.Conns)-1].State == zkrecipes.Reconnected
	}), "no Reconnected")
	d.Blackhole()
	require.True(t, rec.WaitFor(10*time.Second, func(r *observetest.Recorder) bool {
		return len(r.Conns) > 0 && r.Conns[len(r.Conns)-1].State == zkrecipes.Lost
	}), "no Lost")
	d.Heal()
	require.True(t, rec.WaitFor(10*time.Second, func(r *observetest.Recorder) bool {
		return len(r.Conns) > 0 && r.Conns[len(r.Conns)-1].State == zkrecipes.Connected
	}), "no new session")

	rec.Read(func(r *observetest.Recorder) {
		var states []zkrecipes.State
		for _, e := range r.Conns {
			states = append(states, e.State)
		}
		require.Zero(t, r.Conns[0].SuspendedFor)
		require.Equal(t, []zkrecipes.State{zkrecipes.Connected, zkrecipes.Suspended, zkrecipes.Reconnected, zkrecipes.Suspended, zkrecipes.Lost, zkrecipes.Connected}, states)
		require.Positive(t, r.Conns[2].SuspendedFor, "Reconnected carries the suspension's length")
		lost := r.Conns[4]
		require.Equal(t, "timeout", lost.Reason)
		require.Same(t, first, lost.Session)
		// go-zookeeper notices the partition after 2/3 of the session
		// timeout, the client declares the session lost at its end.
		require.Positive(t, lost.SuspendedFor)
		require.Zero(t, r.Conns[5].SuspendedFor)
	})
}
