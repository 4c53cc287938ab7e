package counter_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/counter"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_SharedCount_Operations(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	s := zktest.Must(counter.NewSharedCount(c, "/sc", 7))

	v, err := s.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, counter.Value{Count: 7, Version: 0}, v, "created with the seed")

	ok, err := s.TrySet(ctx, v, 8)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = s.TrySet(ctx, v, 9)
	require.NoError(t, err)
	assert.False(t, ok, "stale version")

	require.NoError(t, s.Set(ctx, -2))
	v, err = zktest.Must(counter.NewSharedCount(c, "/sc", 0)).Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int32(-2), v.Count)
	data, _, err := c.Get(ctx, "/sc")
	require.NoError(t, err)
	assert.Equal(t, []byte{0xff, 0xff, 0xff, 0xfe}, data, "Curator's 4-byte big-endian encoding")

	// A node deleted under us: TrySet fails and the seed is back.
	require.NoError(t, zktest.DeleteAll(ctx, c, "/sc"))
	ok, err = s.TrySet(ctx, v, 100)
	require.NoError(t, err)
	assert.False(t, ok)
	v, err = s.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int32(7), v.Count)
}

// TrySet as a counter (read, TrySet(v+1) until it succeeds) with replies
// lost on the way: the number of successful TrySets equals the count.
func TestIntegration_SharedCount_TrySetExactlyOnce(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	cs, ds := make([]*zkrecipes.Client, 4), make([]*zktest.FaultDialer, 4)
	for i := range cs {
		cs[i], ds[i] = zktest.FaultyClientAt(t, srv, ns)
	}
	var wins atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(cs))
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := zktest.Must(counter.NewSharedCount(c, "/sc", 0))
			for k := 0; k < 40; k++ {
				if k%10 == 3 {
					ds[i].CutAfterRequest(zktest.OpMulti)
				}
				for {
					v, err := s.Get(ctx)
					if err != nil {
						errs <- err
						return
					}
					ok, err := s.TrySet(ctx, v, v.Count+1)
					if err != nil {
						errs <- err
						return
					}
					if ok {
						wins.Add(1)
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	v, err := zktest.Must(counter.NewSharedCount(cs[0], "/sc", 0)).Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int32(160), v.Count)
	assert.Equal(t, int64(160), wins.Load())
}

func TestIntegration_SharedCount_WatchCoalescesAndStops(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	s := zktest.Must(counter.NewSharedCount(c, "/sc", 1))

	wctx, cancel := context.WithCancel(ctx)
	ch := s.Watch(wctx)
	// The node does not exist yet: Watch, the first operation, seeds it.
	got := receive(t, ctx, ch)
	assert.Equal(t, counter.Value{Count: 1, Version: 0}, got)
	v, err := s.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, v, got)

	// Many updates while nobody reads: the reader then sees the latest
	// value without ever having blocked the writer or the client.
	for i := int32(2); i <= 50; i++ {
		require.NoError(t, s.Set(ctx, i))
	}
	var last counter.Value
	require.Eventually(t, func() bool {
		select {
		case last = <-ch:
		default:
		}
		return last.Count == 50
	}, 10*time.Second, 5*time.Millisecond)
	assert.Greater(t, last.Version, got.Version)

	cancel()
	require.Eventually(t, func() bool {
		select {
		case _, ok := <-ch:
			return !ok
		default:
			return false
		}
	}, 5*time.Second, 5*time.Millisecond, "channel not closed after ctx was cancelled")
}

func TestIntegration_SharedCount_WatchEndsWithClient(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	zktest.ClientAt(t, zktest.Servers(t), ns) // removes the namespace at the end
	c, err := zkrecipes.Connect(ctx, zktest.Servers(t), zkrecipes.WithNamespace(ns))
	require.NoError(t, err)
	s := zktest.Must(counter.NewSharedCount(c, "/sc", 3))
	_, err = s.Get(ctx)
	require.NoError(t, err)
	ch := s.Watch(ctx)
	assert.Equal(t, int32(3), (<-ch).Count)
	c.Close()
	for range ch { // drains until closed; Close waits for the goroutine
	}
	_, ok := <-s.Watch(ctx)
	assert.False(t, ok, "Watch on a closed client returns a closed channel")
}

// receive returns the next value of ch, failing the test if none comes
// before ctx ends or ch is closed.
func receive(t *testing.T, ctx context.Context, ch <-chan counter.Value) counter.Value {
	t.Helper()
	select {
	case v, ok := <-ch:
		require.True(t, ok, "watch channel closed")
		return v
	case <-ctx.Done():
		t.Fatal("no value delivered")
		return counter.Value{}
	}
}

// A Watch on a count that does not exist yet seeds it and delivers the
// seed; once the node is deleted, the watch waits for it to be created
// again and delivers its first value (it does not seed a second time).
func TestIntegration_SharedCount_WatchSeedsAndWaitsForCreation(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	s := zktest.Must(counter.NewSharedCount(c, "/a/sc", 42))
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ch := s.Watch(wctx)
	assert.Equal(t, counter.Value{Count: 42, Version: 0}, receive(t, wctx, ch))
	data, _, err := c.Get(ctx, "/a/sc")
	require.NoError(t, err)
	assert.Equal(t, counter.EncodeInt32(42), data, "seeded by Watch")

	require.NoError(t, zktest.DeleteAll(ctx, c, "/a/sc"))
	_, err = c.Create(ctx, "/a/sc", counter.EncodeInt32(7), zkrecipes.Persistent)
	require.NoError(t, err, "Watch must not seed the node again")
	for {
		v := receive(t, wctx, ch)
		require.NotEqual(t, int32(42), v.Count, "seeded again")
		if v.Count == 7 {
			break
		}
	}
}
