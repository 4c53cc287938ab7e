package cache

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/wire"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// reads returns the data reads among the opcodes a client sent.
func reads(sent []int32) []int32 {
	return slices.DeleteFunc(slices.Clone(sent), func(op int32) bool { return op != wire.OpGetData && op != wire.OpMultiRead })
}

// A burst of creations that arrives while a read is in flight (a busy
// server answers reads late, while its events keep coming) costs one more
// request, not one per creation: the reads wait for the reply and then go
// together as one multiRead. The writes of the cache's client are held
// back so that the first read stays in flight while the burst arrives.
func TestIntegration_Persistent_BurstReadsWaitForTheReadInFlight(t *testing.T) {
	zktest.SkipIfShort(t)
	ns := zktest.Namespace(t)
	c, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns)
	writer := zktest.ClientAt(t, zktest.Servers(t), ns)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/r", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	tr, err := NewTree(c, "/r", WithWatches(Persistent))
	require.NoError(t, err)
	require.NoError(t, tr.Start(ctx))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()

	d.HoldWrites()
	defer d.ReleaseWrites()
	mark := len(d.Sent())
	_, err = writer.Create(ctx, "/r/k0", []byte("d0"), zkrecipes.Persistent)
	require.NoError(t, err)
	waitFor(t, "the first creation's read", func() bool { return len(reads(d.Sent()[mark:])) > 0 })
	for i := 1; i < 10; i++ {
		_, err = writer.Create(ctx, fmt.Sprintf("/r/k%d", i), []byte(fmt.Sprintf("d%d", i)), zkrecipes.Persistent)
		require.NoError(t, err)
	}
	queued := func() int {
		tr.e.mu.Lock()
		defer tr.e.mu.Unlock()
		return len(tr.e.queue)
	}
	waitFor(t, "the burst's events", func() bool { return queued() == 9 || len(reads(d.Sent()[mark:])) > 1 })
	assert.Equal(t, []int32{wire.OpGetData}, reads(d.Sent()[mark:]), "the burst's reads wait for the read in flight")

	d.ReleaseWrites()
	for got := 0; got < 10; {
		ev, err := sub.Next(ctx)
		require.NoError(t, err)
		if ev.Kind == Created {
			got++
		}
	}
	assert.Equal(t, []int32{wire.OpGetData, wire.OpMultiRead}, reads(d.Sent()[mark:]), "then all in one multiRead")
	for i := range 10 {
		e, ok := tr.Get(fmt.Sprintf("/r/k%d", i))
		require.True(t, ok, "k%d", i)
		assert.Equal(t, fmt.Sprintf("d%d", i), string(e.Data))
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("waiting for %s: not within 10 s", what)
		}
	}
}
