package cache_test

import (
	"bytes"
	"testing"
	"time"

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
