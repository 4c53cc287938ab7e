package zkrecipes_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// serverWatches reports whether the server holds a watch on path, from
// the wchp four-letter word (watches by path).
func serverWatches(t *testing.T, path string) bool {
	t.Helper()
	out, err := zktest.FourLetterWord(zktest.Servers(t)[0], "wchp", 5*time.Second)
	require.NoError(t, err)
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == path {
			return true
		}
	}
	return false
}

// A function watch fires once; one removed before it fires gets
// NotWatching with ErrWatchRemoved, and the server's watch goes with the
// last local watcher of the path, not before.
func TestIntegration_Watch_FuncAndRemove(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	_, err := c.Create(ctx, "/n", []byte("0"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	abs := c.Namespace() + "/n"

	events := make(chan zk.Event, 4)
	_, _, a, err := c.GetWatch(ctx, "/n", func(ev zk.Event) { events <- ev })
	require.NoError(t, err)
	_, _, b, err := c.GetWatch(ctx, "/n", func(ev zk.Event) { events <- ev })
	require.NoError(t, err)
	require.True(t, serverWatches(t, abs))

	require.True(t, a.Remove())
	ev := <-events
	assert.Equal(t, zk.EventNotWatching, ev.Type)
	assert.ErrorIs(t, ev.Err, zkrecipes.ErrWatchRemoved)
	assert.False(t, a.Remove(), "removed twice")
	assert.True(t, serverWatches(t, abs), "b still needs the server's watch")

	_, err = c.Set(ctx, "/n", []byte("1"), -1)
	require.NoError(t, err)
	ev = <-events
	assert.Equal(t, zk.EventNodeDataChanged, ev.Type)
	assert.False(t, b.Remove(), "fired already")

	_, _, cw, err := c.ChildrenWatch(ctx, "/n", func(ev zk.Event) { events <- ev })
	require.NoError(t, err)
	ok, _, ew, err := c.ExistsWatch(ctx, "/n/missing", func(ev zk.Event) { events <- ev })
	require.NoError(t, err)
	require.False(t, ok)
	require.True(t, serverWatches(t, abs+"/missing"))
	require.True(t, cw.Remove())
	require.True(t, ew.Remove())
	<-events
	<-events
	require.Eventually(t, func() bool { return !serverWatches(t, abs) && !serverWatches(t, abs+"/missing") },
		5*time.Second, 10*time.Millisecond, "the server still holds the removed watches")
	assert.Zero(t, zkrecipes.WatchersForTest(c))

	_, _, _, err = c.GetWatch(ctx, "/n", nil)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
}
