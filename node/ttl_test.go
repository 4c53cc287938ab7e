package node_test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/node"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A TTL node is Curator's layout, outlives its client's session, is
// touched, and Close deletes it.
func TestIntegration_TTL_OutlivesSessionAndCloses(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	obs := zktest.ClientAt(t, zktest.Servers(t), ns)
	c := zktest.ClientAt(t, zktest.Servers(t), ns)

	const ttl = 400 * time.Millisecond
	n := zktest.Must(node.NewTTL(c, "/servers/b", []byte("v1"), ttl))
	n.Start()
	require.NoError(t, n.WaitCreated(ctx))
	data, st := get(t, ctx, obs, "/servers/b")
	assert.Equal(t, "v1", string(data))
	assert.Zero(t, st.EphemeralOwner, "not ephemeral")
	_, touch := get(t, ctx, obs, "/servers/b/touch")

	// Touched every ttl/2: the child's data version moves.
	waitStat(t, ctx, obs, "/servers/b/touch", "a touch", func(st *zk.Stat) bool { return st != nil && st.Version > touch.Version })
	require.NoError(t, n.SetData(ctx, []byte("v2")))
	data, _ = get(t, ctx, obs, "/servers/b")
	assert.Equal(t, "v2", string(data))

	// A second TTL on another client: still there after that client closed
	// without deleting it.
	c2 := zktest.ClientAt(t, zktest.Servers(t), ns)
	n2 := zktest.Must(node.NewTTL(c2, "/servers/c", nil, time.Hour))
	n2.Start()
	require.NoError(t, n2.WaitCreated(ctx))
	require.NoError(t, c2.Close())
	ok, _, err := obs.Exists(ctx, "/servers/c/touch")
	require.NoError(t, err)
	assert.True(t, ok, "the TTL node outlives its client's session")

	require.NoError(t, n.Close(ctx))
	ok, _, err = obs.Exists(ctx, "/servers/b")
	require.NoError(t, err)
	assert.False(t, ok, "Close deletes the node")

	_, err = node.NewTTL(c, "/x", nil, time.Microsecond)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
}

// When its process stops touching it, the node expires: the server
// deletes the keep-alive child once it is older than the TTL, then the
// empty container. The server's container manager runs every 100ms here
// (its default is a minute), set through JAVA_TOOL_OPTIONS, which every
// JVM reads.
func TestIntegration_TTL_ExpiresWhenNotTouched(t *testing.T) {
	zktest.SkipIfShort(t)
	t.Setenv("JAVA_TOOL_OPTIONS", "-Dznode.container.checkIntervalMs=100")
	srv := zktest.NewServer(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	obs := zktest.ClientAt(t, []string{srv.Addr()}, ns)
	c := zktest.ClientAt(t, []string{srv.Addr()}, ns)

	const ttl = 600 * time.Millisecond
	n := zktest.Must(node.NewTTL(c, "/servers/b", []byte("v1"), ttl))
	n.Start()
	require.NoError(t, n.WaitCreated(ctx))
	_, touch := get(t, ctx, obs, "/servers/b/touch")
	// Kept alive for several TTLs while touched.
	waitStat(t, ctx, obs, "/servers/b/touch", "touches for 3 TTLs", func(st *zk.Stat) bool {
		return st != nil && st.Mtime-touch.Mtime > 3*ttl.Milliseconds()
	})

	stopped := time.Now()
	require.NoError(t, c.Close()) // a crash: nothing deleted
	waitStat(t, ctx, obs, "/servers/b", "expiry", func(st *zk.Stat) bool { return st == nil })
	assert.GreaterOrEqual(t, time.Since(stopped), ttl/2, "not gone with the session")
	t.Logf("gone %v after the last client stopped (ttl %v)", time.Since(stopped), ttl)
}
