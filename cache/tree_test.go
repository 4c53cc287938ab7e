package cache_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Tree_LoadAndFollow(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	mustCreate(ctx, t, c, "/t/a/x", "ax")
	mustCreate(ctx, t, c, "/t/b", "b")
	_, err := c.Set(ctx, "/t", []byte("root"), -1)
	require.NoError(t, err)

	tr := zktest.Must(cache.NewTree(c, "/t"))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()
	require.NoError(t, tr.Start(ctx))
	evs := until(ctx, t, sub, kind(cache.Initialized))
	assert.Len(t, evs, 5, describe(evs)) // 4 created + initialized
	want, err := serverTree(ctx, c, "/t")
	require.NoError(t, err)
	assert.Equal(t, want, cacheTree(tr))
	en, ok := tr.Get("/t/a/x")
	require.True(t, ok)
	assert.Equal(t, "ax", string(en.Data))
	kids := tr.Children("/t")
	require.Len(t, kids, 2)
	assert.Equal(t, "/t/a", kids[0].Path)

	_, err = c.Set(ctx, "/t/a/x", []byte("ax2"), -1)
	require.NoError(t, err)
	evs = until(ctx, t, sub, at(cache.Changed, "/t/a/x"))
	ev := evs[len(evs)-1]
	assert.Equal(t, "ax", string(ev.Old.Data))
	assert.Equal(t, "ax2", string(ev.New.Data))

	mustCreate(ctx, t, c, "/t/b/y/z", "z")
	until(ctx, t, sub, at(cache.Created, "/t/b/y/z"))
	require.NoError(t, c.Delete(ctx, "/t/b/y/z", -1))
	require.NoError(t, c.Delete(ctx, "/t/b/y", -1))
	until(ctx, t, sub, at(cache.Deleted, "/t/b/y"))
	_, ok = tr.Get("/t/b/y/z")
	assert.False(t, ok)
	want, err = serverTree(ctx, c, "/t")
	require.NoError(t, err)
	assert.Equal(t, want, cacheTree(tr))
	stale, _ := tr.Stale()
	assert.False(t, stale)
}
