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
	ctx := ctxFor(t, 20*time.Second)
	s := counter.NewShared(c, "/sc", 7)

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
	v, err = counter.NewShared(c, "/sc", 0).Get(ctx)
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
	ctx := ctxFor(t, 60*time.Second)
	ds := make([]*zktest.FaultDialer, 4)
	for i := range ds {
		ds[i] = zktest.NewFaultDialer()
		d := ds[i]
		t.Cleanup(func() { d.Close() })
	}
	cs := clientsAt(t, 4, func(i int) []zkrecipes.Option { return []zkrecipes.Option{zkrecipes.WithDialer(ds[i].Dial)} })
	var wins atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(cs))
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := counter.NewShared(c, "/sc", 0)
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
	v, err := counter.NewShared(cs[0], "/sc", 0).Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int32(160), v.Count)
	assert.Equal(t, int64(160), wins.Load())
}

func TestIntegration_SharedCount_WatchCoalescesAndStops(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := ctxFor(t, 30*time.Second)
	c := zktest.Client(t)
	s := counter.NewShared(c, "/sc", 1)

	wctx, cancel := context.WithCancel(ctx)
	ch := s.Watch(wctx)
	// The node does not exist yet: nothing is delivered until it does.
	select {
	case v := <-ch:
		t.Fatalf("value %v before the node exists", v)
	case <-time.After(200 * time.Millisecond):
	}
	v, err := s.Get(ctx) // creates it with the seed
	require.NoError(t, err)
	got := <-ch
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
	ctx := ctxFor(t, 30*time.Second)
	ns := zktest.Namespace(t)
	zktest.ClientAt(t, zktest.Servers(t), ns) // removes the namespace at the end
	c, err := zkrecipes.Connect(ctx, zktest.Servers(t), zkrecipes.WithNamespace(ns))
	require.NoError(t, err)
	s := counter.NewShared(c, "/sc", 3)
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
