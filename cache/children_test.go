package cache_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// The /servers pattern: servers register ephemeral nodes; a server whose
// session expires leaves the list.
func TestIntegration_Children_ServersComeAndGo(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	c := zktest.ClientAt(t, srv, ns)
	s1 := zktest.ClientAt(t, srv, ns)
	s2, d2 := zktest.FaultyClientAt(t, srv, ns, zkrecipes.WithSessionTimeout(time.Second))
	mustCreate(ctx, t, c, "/servers", "")

	list := zktest.Must(cache.NewChildren(c, "/servers"))
	defer list.Close()
	sub := list.Subscribe()
	defer sub.Close()
	require.NoError(t, list.Start(ctx))
	until(ctx, t, sub, kind(cache.Initialized))
	assert.Empty(t, list.Children())

	for i, s := range []*zkrecipes.Client{s1, s2} {
		_, err := s.Create(ctx, "/servers/s"+string(rune('1'+i)), []byte("host:"+string(rune('1'+i))), zkrecipes.Ephemeral)
		require.NoError(t, err)
	}
	until(ctx, t, sub, at(cache.Created, "/servers/s2"))
	if len(list.Children()) < 2 {
		until(ctx, t, sub, at(cache.Created, "/servers/s1"))
	}
	kids := list.Children()
	require.Len(t, kids, 2)
	assert.Equal(t, "host:1", string(kids[0].Data))
	en, ok := list.Get("s2")
	require.True(t, ok)
	assert.Equal(t, "host:2", string(en.Data))
	p, ok := list.Parent()
	require.True(t, ok)
	assert.Equal(t, "/servers", p.Path)

	d2.Blackhole() // s2 crashes: its session expires on the server
	evs := until(ctx, t, sub, at(cache.Deleted, "/servers/s2"))
	assert.Equal(t, "host:2", string(evs[len(evs)-1].Old.Data))
	kids = list.Children()
	require.Len(t, kids, 1)
	assert.Equal(t, "/servers/s1", kids[0].Path)
}

func TestIntegration_Tree_MaxDepthAndFilter(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	for _, p := range []string{"/f/a/1/x", "/f/skip/1", "/f/b"} {
		mustCreate(ctx, t, c, p, "d")
	}
	tr := zktest.Must(cache.NewTree(c, "/f", cache.WithMaxDepth(2),
		cache.WithFilter(func(p string) bool { return !strings.HasPrefix(p, "/f/skip") })))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()
	require.NoError(t, tr.Start(ctx))
	var got []string
	for _, en := range tr.Snapshot() {
		got = append(got, en.Path)
	}
	assert.Equal(t, []string{"/f", "/f/a", "/f/a/1", "/f/b"}, got)

	mustCreate(ctx, t, c, "/f/skip/2", "")
	mustCreate(ctx, t, c, "/f/a/1/y", "")
	mustCreate(ctx, t, c, "/f/c", "")
	evs := until(ctx, t, sub, at(cache.Created, "/f/c"))
	for _, ev := range evs {
		assert.False(t, strings.HasPrefix(ev.Path, "/f/skip") || strings.Count(ev.Path, "/") > 3, "%s %s", ev.Kind, ev.Path)
	}
}
