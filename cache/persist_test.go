package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/internal/wire"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// With a persistent watch a data change costs one read, a creation one
// read (its children come as events of their own) and a deletion none;
// after a new connection the cache sets the watch again, once, and reads
// everything, so that it equals the server's tree.
func TestIntegration_Tree_PersistentRequestsPerChange(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	w := zktest.ClientAt(t, srv, ns)
	c, d := zktest.FaultyClientAt(t, srv, ns)
	mustCreate(ctx, t, w, "/p", "")
	for _, k := range []string{"/p/a", "/p/b", "/p/b/x"} {
		mustCreate(ctx, t, w, k, "0")
	}
	tr := zktest.Must(cache.NewTree(c, "/p", cache.WithWatches(cache.Persistent)))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()
	require.NoError(t, tr.Start(ctx))
	until(ctx, t, sub, kind(cache.Initialized))
	assert.Contains(t, d.Sent(), wire.OpAddWatch)

	sentFor := func(change func(), want func(cache.Event) bool) []int32 {
		t.Helper()
		from := len(d.Sent())
		change()
		until(ctx, t, sub, want)
		// A round trip of the cache's client after the event: a read
		// the event caused would have been written before it.
		_, _, err := c.Exists(ctx, "/p")
		require.NoError(t, err)
		sent := d.Sent()[from:]
		return sent[:len(sent)-1]
	}
	assert.Equal(t, []int32{wire.OpGetData}, sentFor(func() {
		_, err := w.Set(ctx, "/p/a", []byte("1"), -1)
		require.NoError(t, err)
	}, at(cache.Changed, "/p/a")), "a data change")
	assert.Equal(t, []int32{wire.OpGetData}, sentFor(func() {
		mustCreate(ctx, t, w, "/p/c", "new")
	}, at(cache.Created, "/p/c")), "a creation")
	assert.Empty(t, sentFor(func() {
		require.NoError(t, w.Delete(ctx, "/p/b/x", -1))
	}, at(cache.Deleted, "/p/b/x")), "a deletion")

	// Changes the client cannot hear of while it is cut off.
	d.Blackhole()
	_, err := w.Set(ctx, "/p/a", []byte("2"), -1)
	require.NoError(t, err)
	require.NoError(t, w.Delete(ctx, "/p/c", -1))
	mustCreate(ctx, t, w, "/p/c", "again")
	mustCreate(ctx, t, w, "/p/c/deep", "d")
	from := len(d.Sent())
	d.Heal()
	until(ctx, t, sub, kind(cache.Reinitialized))
	want, err := serverTree(ctx, w, "/p")
	require.NoError(t, err)
	assert.Equal(t, want, cacheTree(tr))
	n := 0
	for _, op := range d.Sent()[from:] {
		if op == wire.OpAddWatch {
			n++
		}
	}
	assert.Equal(t, 1, n, "one addWatch per connection")
	assert.NotContains(t, d.Sent()[from:], zktest.OpSetWatches, "no one-shot watch to set again")
}

// A server without addWatch (before 3.6) answers it as unimplemented and
// closes the connection: the cache is not stopped by it, asks once, and
// follows the tree with one-shot watches from then on.
func TestIntegration_Tree_FallsBackWithoutAddWatch(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	w := zktest.ClientAt(t, srv, ns)
	c, d := zktest.FaultyClientAt(t, srv, ns)
	mustCreate(ctx, t, w, "/p", "")
	mustCreate(ctx, t, w, "/p/a", "0")
	d.Unknown(zktest.OpAddWatch)
	dials := d.Dials()

	tr := zktest.Must(cache.NewTree(c, "/p", cache.WithWatches(cache.Persistent)))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()
	require.NoError(t, tr.Start(ctx))
	until(ctx, t, sub, kind(cache.Initialized))
	assert.Greater(t, d.Dials(), dials, "the server closed the connection")
	mustCreate(ctx, t, w, "/p/b", "1")
	until(ctx, t, sub, at(cache.Created, "/p/b"))
	_, err := w.Set(ctx, "/p/a", []byte("2"), -1)
	require.NoError(t, err)
	until(ctx, t, sub, at(cache.Changed, "/p/a"))
	want, err := serverTree(ctx, w, "/p")
	require.NoError(t, err)
	assert.Equal(t, want, cacheTree(tr))
	n := 0
	for _, op := range d.Sent() {
		if op == zktest.OpAddWatch {
			n++
		}
	}
	assert.Equal(t, 1, n, "asked once")
}

// Caches of one client share its session's watches: two trees on one
// path, one on a path below, and a node cache on the same path (a one-shot
// watch where the recursive one is). Each follows its nodes, and closing
// one leaves the others whole.
func TestIntegration_Tree_PersistentSharedBySeveralCaches(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	w := zktest.ClientAt(t, srv, ns)
	c := zktest.ClientAt(t, srv, ns)
	mustCreate(ctx, t, w, "/p", "root")
	mustCreate(ctx, t, w, "/p/q", "q")

	type follower struct {
		sub   *cache.Subscription
		close func()
	}
	start := func(cch interface {
		Subscribe() *cache.Subscription
		Start(context.Context) error
		Close()
	}) follower {
		sub := cch.Subscribe()
		require.NoError(t, cch.Start(ctx))
		until(ctx, t, sub, kind(cache.Initialized))
		return follower{sub, func() { sub.Close(); cch.Close() }}
	}
	a := start(zktest.Must(cache.NewTree(c, "/p")))
	b := start(zktest.Must(cache.NewTree(c, "/p")))
	below := start(zktest.Must(cache.NewTree(c, "/p/q")))
	node := start(zktest.Must(cache.NewNode(c, "/p")))
	defer b.close()
	defer below.close()
	defer node.close()

	mustCreate(ctx, t, w, "/p/q/x", "1")
	for _, f := range []follower{a, b, below} {
		until(ctx, t, f.sub, at(cache.Created, "/p/q/x"))
	}
	_, err := w.Set(ctx, "/p", []byte("root2"), -1)
	require.NoError(t, err)
	for _, f := range []follower{a, b, node} {
		until(ctx, t, f.sub, at(cache.Changed, "/p"))
	}
	a.close()
	_, err = w.Set(ctx, "/p", []byte("root3"), -1)
	require.NoError(t, err)
	mustCreate(ctx, t, w, "/p/q/y", "2")
	for _, f := range []follower{b, node} {
		until(ctx, t, f.sub, at(cache.Changed, "/p"))
	}
	for _, f := range []follower{b, below} {
		until(ctx, t, f.sub, at(cache.Created, "/p/q/y"))
	}
}
