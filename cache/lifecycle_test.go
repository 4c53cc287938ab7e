package cache_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestCache_BadInput(t *testing.T) {
	c := new(zkrecipes.Client) // never used for I/O
	for _, p := range []string{"no-slash", "", "/a/", "/zookeeper/b"} {
		_, err := cache.NewTree(c, p)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, "%q", p)
		assert.ErrorContains(t, err, "cache: NewTree: ")
	}
	for name, tc := range map[string]struct {
		fn   func() error
		want string
	}{
		"depth":       {func() error { _, err := cache.NewTree(c, "/a", cache.WithMaxDepth(-1)); return err }, "cache: NewTree: WithMaxDepth(-1)"},
		"filter":      {func() error { _, err := cache.NewTree(c, "/a", cache.WithFilter(nil)); return err }, "cache: NewTree: WithFilter(nil)"},
		"inflight":    {func() error { _, err := cache.NewChildren(c, "/a", cache.WithMaxInFlight(0)); return err }, "cache: NewChildren: WithMaxInFlight(0)"},
		"watches":     {func() error { _, err := cache.NewTree(c, "/a", cache.WithWatches(0)); return err }, "cache: NewTree: WithWatches(0): not a Watches value"},
		"node depth":  {func() error { _, err := cache.NewNode(c, "/a", cache.WithMaxDepth(1)); return err }, "cache: NewNode: WithMaxDepth is for NewTree only"},
		"node filter": {func() error { _, err := cache.NewNode(c, "/a", cache.WithoutData()); return err }, "cache: NewNode: WithFilter and WithoutData"},
	} {
		err := tc.fn()
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument, name)
		assert.ErrorContains(t, err, tc.want, name)
	}
	assert.PanicsWithValue(t, "cache: NewNode: nil client", func() { _, _ = cache.NewNode(nil, "/a") })
	assert.PanicsWithValue(t, "cache: NewChildren: nil client", func() { _, _ = cache.NewChildren(nil, "/a") })
	assert.PanicsWithValue(t, "cache: NewTree: nil client", func() { _, _ = cache.NewTree(nil, "/a") })
}

// A root that does not exist yet is cached as absent and followed through
// creation, deletion and recreation.
func TestIntegration_Node_RootAbsentThenCreatedDeletedRecreated(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	n := zktest.Must(cache.NewNode(c, "/later/cfg"))
	defer n.Close()
	sub := n.Subscribe()
	defer sub.Close()
	require.NoError(t, n.Start(ctx))
	_, ok := n.Get()
	assert.False(t, ok)
	until(ctx, t, sub, kind(cache.Initialized))

	for i := range 2 {
		mustCreate(ctx, t, c, "/later/cfg", fmt.Sprint(i))
		evs := until(ctx, t, sub, at(cache.Created, "/later/cfg"))
		assert.Len(t, evs, 1, describe(evs))
		assert.Equal(t, fmt.Sprint(i), string(evs[0].New.Data))
		en, ok := n.Get()
		require.True(t, ok)
		assert.Equal(t, fmt.Sprint(i), string(en.Data))
		require.NoError(t, c.Delete(ctx, "/later/cfg", -1))
		evs = until(ctx, t, sub, at(cache.Deleted, "/later/cfg"))
		assert.Len(t, evs, 1, describe(evs))
		_, ok = n.Get()
		assert.False(t, ok)
	}
}

// The root of a tree deleted with its subtree and recreated with other
// children: the cache reports every deletion, then the new nodes.
func TestIntegration_Tree_RootDeletedAndRecreated(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	for _, p := range []string{"/root/a/1", "/root/b"} {
		mustCreate(ctx, t, c, p, "old")
	}
	tr := zktest.Must(cache.NewTree(c, "/root"))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()
	require.NoError(t, tr.Start(ctx))
	until(ctx, t, sub, kind(cache.Initialized))

	require.NoError(t, zktest.DeleteAll(ctx, c, "/root"))
	evs := until(ctx, t, sub, at(cache.Deleted, "/root"))
	assert.Equal(t, "deleted /root/a/1; deleted /root/a; deleted /root/b; deleted /root; ", describe(evs))
	assert.Empty(t, tr.Snapshot())
	for _, p := range []string{"/root/a/2", "/root/c"} {
		mustCreate(ctx, t, c, p, "new")
	}
	until(ctx, t, sub, at(cache.Created, "/root/c"))
	for len(tr.Snapshot()) < 4 {
		until(ctx, t, sub, kind(cache.Created))
	}
	want, err := serverTree(ctx, c, "/root")
	require.NoError(t, err)
	assert.Equal(t, want, cacheTree(tr))
}

func TestIntegration_Tree_StartCancelled(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 20*time.Second)
	mustCreate(ctx, t, c, "/s/a", "a")

	done, cancel := context.WithCancel(ctx)
	cancel()
	tr := zktest.Must(cache.NewTree(c, "/s"))
	sent := requests(d)
	assert.ErrorIs(t, tr.Start(done), context.Canceled)
	assert.Equal(t, sent, requests(d), "a ctx already done sends nothing")
	assert.ErrorIs(t, tr.Start(ctx), zkrecipes.ErrClosed, "a failed Start closes the cache")

	// Cancelled while loading: the reads go into a partition.
	tr = zktest.Must(cache.NewTree(c, "/s"))
	sub := tr.Subscribe()
	d.Blackhole()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	assert.ErrorIs(t, tr.Start(short), context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
	_, err := sub.Next(ctx)
	assert.ErrorIs(t, err, zkrecipes.ErrClosed)
	d.Heal()
	tr.Close() // idempotent
}

func TestIntegration_Tree_CloseWhileLoading(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 20*time.Second)
	mustCreate(ctx, t, c, "/s/a", "a")
	tr := zktest.Must(cache.NewTree(c, "/s"))
	sub := tr.Subscribe()
	d.Blackhole()
	defer d.Heal()
	started := make(chan error, 1)
	go func() { started <- tr.Start(ctx) }()
	// Wait until the reads are on their way, then close.
	for len(d.Sent()) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("no read sent")
		case <-time.After(5 * time.Millisecond):
		}
	}
	tr.Close()
	select {
	case err := <-started:
		assert.ErrorIs(t, err, zkrecipes.ErrClosed)
	case <-ctx.Done():
		t.Fatal("Start did not return after Close")
	}
	_, err := sub.Next(ctx)
	assert.ErrorIs(t, err, zkrecipes.ErrClosed)
}

// The session is lost while the tree loads; Start returns once the tree
// is loaded in the next session.
func TestIntegration_Tree_SessionLostWhileLoading(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	w := zktest.ClientAt(t, srv, ns)
	c, d := zktest.FaultyClientAt(t, srv, ns, zkrecipes.WithSessionTimeout(time.Second))
	for i := range 20 {
		mustCreate(ctx, t, w, fmt.Sprintf("/l/%d/x", i), "x")
	}
	tr := zktest.Must(cache.NewTree(c, "/l"))
	defer tr.Close()
	states := c.Subscribe()
	defer states.Close()
	d.Blackhole()
	started := make(chan error, 1)
	go func() { started <- tr.Start(ctx) }()
	mustCreate(ctx, t, w, "/l/new", "n")
	waitState(ctx, t, states, zkrecipes.Lost)
	select {
	case err := <-started:
		t.Fatalf("Start returned while the session was lost: %v", err)
	default:
	}
	d.Heal()
	select {
	case err := <-started:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("Start did not return in the new session")
	}
	want, err := serverTree(ctx, w, "/l")
	require.NoError(t, err)
	assert.Equal(t, want, cacheTree(tr))
	stale, _ := tr.Stale()
	assert.False(t, stale)
}

// requests counts the requests a client sent, pings excepted.
func requests(d *zktest.FaultDialer) int {
	n := 0
	for _, op := range d.Sent() {
		if op != zktest.OpPing {
			n++
		}
	}
	return n
}

// Close ends, and waits for, every goroutine the cache started: the
// loop, the reads, and the goroutines waiting on its watches. (The client's own pooled
// workers idle on for a while; they are not the cache's.)
func TestIntegration_Tree_CloseReleasesGoroutines(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	for i := range 100 {
		mustCreate(ctx, t, c, fmt.Sprintf("/g/%d/%d", i%10, i), "x")
	}
	tr := zktest.Must(cache.NewTree(c, "/g"))
	require.NoError(t, tr.Start(ctx))
	assert.Len(t, tr.Snapshot(), 111)
	assert.Positive(t, cacheGoroutines())
	closed := make(chan struct{})
	go func() {
		tr.Close() // waits for the cache's goroutines
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatalf("Close did not return: %d goroutines of the cache still run", cacheGoroutines())
	}
	assert.Zero(t, cacheGoroutines())
	_, ok := tr.Get("/g")
	assert.True(t, ok, "a closed cache stays readable")
}

// cacheGoroutines counts the goroutines running code of package cache.
func cacheGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "zkrecipes/cache.(*") {
			n++
		}
	}
	return n
}
