package cache_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
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
	_ = zkrecipes.Persistent
}
