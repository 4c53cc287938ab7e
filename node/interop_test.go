package node_test

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/curatortest"
	"github.com/zkrecipes/zkrecipes/node"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Curator interop: testdata/TtlInterop.java runs Debian's Curator 5.4
// PersistentTtlNode on the same znodes as node.TTL.

// javaTTL runs a Curator PersistentTtlNode at the absolute path p until
// the returned stop, which closes it (Curator's close leaves the node to
// expire) and waits for the JVM.
func javaTTL(t *testing.T, ctx context.Context, connect, p string, ttl time.Duration, data string) (stop func()) {
	t.Helper()
	jvm := curatortest.Compile(t, "testdata/TtlInterop.java")
	cmd := jvm.CommandContext(ctx, "TtlInterop", connect, p, fmtMillis(ttl), data)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(stdout)
	next := func() string {
		if !lines.Scan() {
			return "(java ended)"
		}
		return lines.Text()
	}
	if got := next(); got != "created" {
		_ = stdin.Close()
		_ = cmd.Wait()
		t.Fatalf("TtlInterop %s: %s", p, got)
	}
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		require.NoError(t, stdin.Close())
		assert.Equal(t, "closed", next())
		require.NoError(t, cmd.Wait())
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	return stop
}

func fmtMillis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// stat returns p's stat, or nil when p does not exist.
func stat(t *testing.T, ctx context.Context, c *zkrecipes.Client, p string) *zk.Stat {
	t.Helper()
	ok, st, err := c.Exists(ctx, p)
	require.NoError(t, err)
	if !ok {
		return nil
	}
	return st
}

// keptFor waits on watches until p's touch child has been written for
// longer than d after from (its Mtime then), failing if the node or its
// child goes meanwhile or the container is replaced (another czxid).
func keptFor(t *testing.T, ctx context.Context, c *zkrecipes.Client, p string, czxid int64, from *zk.Stat, d time.Duration, what string) {
	t.Helper()
	st := waitStat(t, ctx, c, p+"/touch", what, func(st *zk.Stat) bool { return st == nil || st.Mtime-from.Mtime > d.Milliseconds() })
	require.NotNil(t, st, "%s: the touch child expired", what)
	cont := stat(t, ctx, c, p)
	require.NotNil(t, cont, "%s: the node is gone", what)
	assert.Equal(t, czxid, cont.Czxid, "%s: the same node, not a new one", what)
}

// Curator's PersistentTtlNode and node.TTL write the same layout, and
// each keeps the other's node alive: Curator adopts a node made by Go and
// touches it after Go's process is gone, and Go does the same for a
// node made by Curator.
func TestIntegration_TTL_CuratorInterop(t *testing.T) {
	zktest.SkipIfShort(t)
	// The server's container manager runs every 100ms (default: a minute).
	t.Setenv("JAVA_TOOL_OPTIONS", "-Dznode.container.checkIntervalMs=100")
	srv := zktest.NewServer(t)
	ctx := zktest.Context(t, 90*time.Second)
	ns := zktest.Namespace(t)
	obs := zktest.ClientAt(t, []string{srv.Addr()}, ns)
	// Curator touches every half TTL: 2 s leaves its JVM a second of
	// stall on a loaded machine (1 s once let the touch child expire).
	const ttl = 2 * time.Second

	// The same layout, side by side: parents, a node with the data, a
	// "touch" child. The server shows clients no node type (a container's
	// or a TTL node's ephemeral owner reads 0), so the types are shown by
	// what the server does with them: below, the nodes expire and the
	// parents are reaped.
	stopJ := javaTTL(t, ctx, srv.Addr(), ns+"/layout/java/n", ttl, "data")
	cg := zktest.ClientAt(t, []string{srv.Addr()}, ns)
	g := zktest.Must(node.NewTTL(cg, "/layout/go/n", []byte("data"), ttl))
	g.Start()
	require.NoError(t, g.WaitCreated(ctx))
	for _, rel := range []string{"", "/n", "/n/touch"} {
		j, gst := stat(t, ctx, obs, "/layout/java"+rel), stat(t, ctx, obs, "/layout/go"+rel)
		require.NotNil(t, j, "Curator wrote %s", rel)
		require.NotNil(t, gst, "Go wrote %s", rel)
		assert.Zero(t, gst.EphemeralOwner, "%s: not ephemeral", rel)
		assert.Equal(t, j.EphemeralOwner, gst.EphemeralOwner, "%s", rel)
		jk, _, err := obs.Children(ctx, "/layout/java"+rel)
		require.NoError(t, err)
		gk, _, err := obs.Children(ctx, "/layout/go"+rel)
		require.NoError(t, err)
		assert.Equal(t, jk, gk, "%s: the same children", rel)
	}
	jd, _ := get(t, ctx, obs, "/layout/java/n")
	gd, _ := get(t, ctx, obs, "/layout/go/n")
	assert.Equal(t, string(jd), string(gd), "the same data")
	jt, _ := get(t, ctx, obs, "/layout/java/n/touch")
	gt, _ := get(t, ctx, obs, "/layout/go/n/touch")
	assert.Empty(t, gt, "Go's touch child is empty")
	t.Logf("Curator's touch child holds its client's default data: %q", jt)
	stopJ() // Curator's close leaves its node to expire
	require.NoError(t, g.Close(ctx))
	// Curator's touch child expires (a TTL node), then its node and the
	// parents, Curator's and Go's, are reaped once empty (containers).
	waitStat(t, ctx, obs, "/layout", "the layout reaped", func(st *zk.Stat) bool { return st == nil })

	// Curator keeps Go's node: Go makes it, Curator joins, Go's process
	// ends without deleting it (a crash), Curator touches on.
	c1 := zktest.ClientAt(t, []string{srv.Addr()}, ns)
	g1 := zktest.Must(node.NewTTL(c1, "/adopt/a", []byte("go"), ttl))
	g1.Start()
	require.NoError(t, g1.WaitCreated(ctx))
	made := stat(t, ctx, obs, "/adopt/a")
	stopJ = javaTTL(t, ctx, srv.Addr(), ns+"/adopt/a", ttl, "java")
	require.NoError(t, c1.Close()) // crash: nothing deleted
	from := stat(t, ctx, obs, "/adopt/a/touch")
	keptFor(t, ctx, obs, "/adopt/a", made.Czxid, from, 2*ttl, "Curator touching Go's node")
	data, _ := get(t, ctx, obs, "/adopt/a")
	assert.Equal(t, "java", string(data), "Curator's data (it sets the data of a node it finds)")
	stopJ() // Curator's close leaves the node to its TTL
	// Go's touch child expires (a TTL node), then Go's node (a container).
	waitStat(t, ctx, obs, "/adopt/a", "expiry once nobody touches", func(st *zk.Stat) bool { return st == nil })

	// Go keeps Curator's node: Curator makes it, Go joins, Curator's
	// process closes and ends, Go touches on, and Go's Close deletes it.
	stopJ = javaTTL(t, ctx, srv.Addr(), ns+"/adopt/b", ttl, "java")
	made = stat(t, ctx, obs, "/adopt/b")
	c2 := zktest.ClientAt(t, []string{srv.Addr()}, ns)
	g2 := zktest.Must(node.NewTTL(c2, "/adopt/b", []byte("go"), ttl))
	g2.Start()
	require.NoError(t, g2.WaitCreated(ctx))
	stopJ()
	from = stat(t, ctx, obs, "/adopt/b/touch")
	keptFor(t, ctx, obs, "/adopt/b", made.Czxid, from, 2*ttl, "Go touching Curator's node")
	data, _ = get(t, ctx, obs, "/adopt/b")
	assert.Equal(t, "go", string(data), "Go's data (it sets the data of a node it finds, as Curator)")
	require.NoError(t, g2.Close(ctx))
	assert.Nil(t, stat(t, ctx, obs, "/adopt/b"), "Go's Close deletes the node")
}
