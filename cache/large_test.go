package cache_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Nodes larger than go-zookeeper's default 1.5 MB buffer, on a server
// configured for them (jute.maxbuffer, here 4 MB), are cached whole.
func TestIntegration_Tree_NodesLargerThanTheDefaultBuffer(t *testing.T) {
	zktest.SkipIfShort(t)
	const max = 4 << 20
	t.Setenv("JAVA_TOOL_OPTIONS", "-Djute.maxbuffer=4194304") // the server JVM's, inherited
	srv := zktest.NewServer(t)
	ns := zktest.Namespace(t)
	c := zktest.ClientAt(t, []string{srv.Addr()}, ns, zkrecipes.WithMaxBufferSize(max))
	ctx := zktest.Context(t, 30*time.Second)
	big := bytes.Repeat([]byte("x"), 2<<20)
	mustCreate(ctx, t, c, "/big/a", string(big))

	tr := zktest.Must(cache.NewTree(c, "/big"))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()
	require.NoError(t, tr.Start(ctx))
	en, ok := tr.Get("/big/a")
	require.True(t, ok)
	assert.Equal(t, len(big), len(en.Data))

	big[0] = 'y'
	_, err := c.Set(ctx, "/big/a", big, -1)
	require.NoError(t, err)
	evs := until(ctx, t, sub, at(cache.Changed, "/big/a"))
	assert.True(t, bytes.Equal(big, evs[len(evs)-1].New.Data))
}

// A parent whose listing is close to ZooKeeper's 1 MB limit (4,200
// children with 240-byte names), cached with stats only.
func TestIntegration_Children_ListingNearTheLimit(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 60*time.Second)
	mustCreate(ctx, t, c, "/wide", "")
	name := func(i int) string { return fmt.Sprintf("%s%05d", strings.Repeat("n", 235), i) }
	const n = 4200
	for i := 0; i < n; i += 200 {
		var reqs []any
		for j := i; j < i+200; j++ {
			reqs = append(reqs, &zk.CreateRequest{Path: "/wide/" + name(j), Data: []byte("x")})
		}
		_, err := c.Multi(ctx, reqs...)
		require.NoError(t, err)
	}
	t.Cleanup(func() { // faster than zktest's one delete at a time
		ctx := context.Background()
		kids, _, _ := c.Children(ctx, "/wide")
		for len(kids) > 0 {
			var reqs []any
			for _, k := range kids[:min(200, len(kids))] {
				reqs = append(reqs, &zk.DeleteRequest{Path: "/wide/" + k, Version: -1})
			}
			if _, err := c.Multi(ctx, reqs...); err != nil {
				return
			}
			kids = kids[len(reqs):]
		}
	})
	ch := zktest.Must(cache.NewChildren(c, "/wide", cache.WithoutData()))
	defer ch.Close()
	sub := ch.Subscribe()
	defer sub.Close()
	require.NoError(t, ch.Start(ctx))
	kids := ch.Children()
	require.Len(t, kids, n)
	assert.Nil(t, kids[0].Data, "stats only")
	assert.Equal(t, int32(1), kids[0].Stat.DataLength)

	require.NoError(t, c.Delete(ctx, "/wide/"+name(7), -1))
	_, err := c.Create(ctx, "/wide/"+name(n), nil, zkrecipes.Persistent)
	require.NoError(t, err)
	until(ctx, t, sub, at(cache.Deleted, "/wide/"+name(7)))
	until(ctx, t, sub, at(cache.Created, "/wide/"+name(n)))
	assert.Len(t, ch.Children(), n)
}
