package counter_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/counter"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func clientsAt(t *testing.T, n int, opts func(i int) []zkrecipes.Option) []*zkrecipes.Client {
	ns := zktest.Namespace(t)
	srv := zktest.Servers(t)
	cs := make([]*zkrecipes.Client, n)
	for i := range cs {
		var o []zkrecipes.Option
		if opts != nil {
			o = opts(i)
		}
		cs[i] = zktest.ClientAt(t, srv, ns, o...)
	}
	return cs
}

func TestIntegration_AtomicLong_Operations(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	a := zktest.Must(counter.NewAtomicLong(c, "/ctr/a"))

	v, err := a.Get(ctx)
	require.NoError(t, err)
	assert.Zero(t, v, "a missing node reads as 0")
	ok, _, err := c.Exists(ctx, "/ctr/a")
	require.NoError(t, err)
	assert.False(t, ok, "Get creates nothing")

	r, err := a.Increment(ctx)
	require.NoError(t, err)
	assert.Equal(t, counter.Result{Pre: 0, Post: 1, Attempts: 1}, r)
	r, err = a.Add(ctx, 5)
	require.NoError(t, err)
	assert.Equal(t, int64(1), r.Pre)
	assert.Equal(t, int64(6), r.Post)
	r, err = a.Decrement(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), r.Post)

	swapped, err := a.CompareAndSet(ctx, 4, 10)
	require.NoError(t, err)
	assert.False(t, swapped)
	swapped, err = a.CompareAndSet(ctx, 5, 10)
	require.NoError(t, err)
	assert.True(t, swapped)

	// Another instance changes it: our cached version is stale, and a
	// CompareAndSet must decide on the server's value, not the cache.
	b := zktest.Must(counter.NewAtomicLong(c, "/ctr/a"))
	require.NoError(t, b.Set(ctx, -3))
	swapped, err = a.CompareAndSet(ctx, 10, 11)
	require.NoError(t, err)
	assert.False(t, swapped, "decided on a stale cache")
	swapped, err = a.CompareAndSet(ctx, -3, 7)
	require.NoError(t, err)
	assert.True(t, swapped)

	data, _, err := c.Get(ctx, "/ctr/a")
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 7}, data, "Curator's 8-byte big-endian encoding")
	kids, _, err := c.Children(ctx, "/ctr/a")
	require.NoError(t, err)
	assert.LessOrEqual(t, len(kids), 2, "each writer keeps at most its latest marker: %v", kids)
}

func TestIntegration_AtomicLong_CorruptAndInvalid(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	_, err := c.Create(ctx, "/bad", []byte{1, 2, 3}, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	a := zktest.Must(counter.NewAtomicLong(c, "/bad"))
	_, err = a.Get(ctx)
	assert.ErrorIs(t, err, counter.ErrCorrupt)
	_, err = a.Increment(ctx)
	assert.ErrorIs(t, err, counter.ErrCorrupt)

	for _, opt := range []counter.Option{counter.WithPromoteAfter(0), counter.WithBackoff(time.Second, time.Millisecond),
		counter.WithPromotionLock(""), counter.WithPromotionLock("not-a-path"), counter.WithACL([]zk.ACL{})} {
		_, err := counter.NewAtomicLong(c, "/x", opt)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
		assert.ErrorContains(t, err, "counter: NewAtomicLong: With")
		_, err = counter.NewSharedCount(c, "/x", 0, opt)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	}
	_, err = counter.NewAtomicLong(c, "/x", counter.WithPromotionLock("not-a-path"))
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, "a path option also matches ErrInvalidPath")
	_, err = counter.NewAtomicLong(c, "x")
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath)
	_, err = counter.NewSharedCount(c, "x", 0)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath)
	assert.PanicsWithValue(t, "counter: NewAtomicLong: nil client", func() { _, _ = counter.NewAtomicLong(nil, "/x") })
	assert.PanicsWithValue(t, "counter: NewSharedCount: nil client", func() { _, _ = counter.NewSharedCount(nil, "/x", 0) })

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = zktest.Must(counter.NewAtomicLong(c, "/y")).Increment(cctx)
	assert.ErrorIs(t, err, context.Canceled)
}

// increments runs clients × each increments and checks that the results
// are exactly the values 1..total, each reported once: no increment lost,
// none counted twice.
func increments(t *testing.T, ctx context.Context, cs []*zkrecipes.Client, each int, opts ...counter.Option) []counter.Result {
	var mu sync.Mutex
	var all []counter.Result
	errs := make(chan error, len(cs))
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := zktest.Must(counter.NewAtomicLong(c, "/ctr", opts...))
			for k := 0; k < each; k++ {
				r, err := a.Increment(ctx)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				all = append(all, r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := len(cs) * each
	got, err := zktest.Must(counter.NewAtomicLong(cs[0], "/ctr")).Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(total), got, "final value")
	posts := make([]int64, 0, len(all))
	for _, r := range all {
		assert.Equal(t, r.Pre+1, r.Post)
		posts = append(posts, r.Post)
	}
	slices.Sort(posts)
	for i, p := range posts {
		if p != int64(i+1) {
			t.Fatalf("reported post-values are not exactly 1..%d: at %d got %d", total, i, p)
		}
	}
	return all
}

func TestIntegration_AtomicLong_ConcurrentIncrements(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	increments(t, ctx, clientsAt(t, 8, nil), 100)
}

// Connections are cut at random moments and right after an increment's
// transaction reached the server (its reply lost): 8 clients × 500
// increments still end at exactly 4000, each value reported once.
func TestIntegration_AtomicLong_ExactlyOnceUnderCuts(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 80*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	cs, ds := make([]*zkrecipes.Client, 8), make([]*zktest.FaultDialer, 8)
	for i := range cs {
		cs[i], ds[i] = zktest.FaultyClientAt(t, srv, ns)
	}

	// 24 faults, 100ms apart, spread over the clients: each costs its
	// client about a second (go-zookeeper waits 1s before redialing the
	// only server), so the run takes seconds, not minutes.
	stop := make(chan struct{})
	var chaos sync.WaitGroup
	chaos.Add(1)
	cuts, lostReplies := 0, 0
	go func() {
		defer chaos.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 24; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			d := ds[i%len(ds)]
			if i%3 == 0 {
				d.Cut()
				cuts++
			} else if !d.Armed() {
				d.CutAfterRequest(zktest.OpMulti)
				lostReplies++
			}
		}
	}()
	increments(t, ctx, cs, 500)
	close(stop)
	chaos.Wait()
	t.Logf("%d cuts, %d replies to increments lost", cuts, lostReplies)
}

func TestIntegration_AtomicLong_PromotionLock(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	cs := clientsAt(t, 6, nil)
	all := increments(t, ctx, cs, 60,
		counter.WithPromotionLock("/locks/ctr"), counter.WithPromoteAfter(1), counter.WithBackoff(0, 0))
	promoted := 0
	for _, r := range all {
		if r.Promoted {
			promoted++
		}
	}
	assert.Positive(t, promoted, "no increment was promoted to the lock")
	kids, _, err := cs[0].Children(ctx, "/locks/ctr")
	if err == nil {
		assert.Empty(t, kids, "lock nodes left behind")
	}
}

// After a session loss an AtomicLong carries on in the next session.
func TestIntegration_AtomicLong_AcrossSessionLoss(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c, d := zktest.FaultyClient(t, zkrecipes.WithSessionTimeout(time.Second))
	a := zktest.Must(counter.NewAtomicLong(c, "/ctr"))
	_, err := a.Increment(ctx)
	require.NoError(t, err)
	s := c.Session()
	d.Blackhole()
	<-s.Done()
	d.Heal()
	r, err := a.Increment(ctx)
	if errors.Is(err, zkrecipes.ErrUncertain) {
		t.Fatalf("nothing was in flight: %v", err)
	}
	require.NoError(t, err)
	assert.Equal(t, int64(2), r.Post, fmt.Sprint(r))
}

// An Add past either end of the int64 range is refused with ErrOverflow
// and writes nothing (Curator wraps around instead).
func TestIntegration_AtomicLong_Overflow(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	c := zktest.Client(t)
	a := zktest.Must(counter.NewAtomicLong(c, "/n"))
	for _, tc := range []struct {
		start, delta int64
	}{
		{math.MaxInt64, 1},
		{math.MaxInt64 - 2, 3},
		{math.MinInt64, -1},
		{-2, math.MinInt64},
	} {
		require.NoError(t, a.Set(ctx, tc.start))
		_, before, err := c.Get(ctx, "/n")
		require.NoError(t, err)
		r, err := a.Add(ctx, tc.delta)
		require.ErrorIs(t, err, counter.ErrOverflow, "%d%+d", tc.start, tc.delta)
		assert.Equal(t, tc.start, r.Pre)
		v, err := a.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, tc.start, v, "nothing written")
		_, after, err := c.Get(ctx, "/n")
		require.NoError(t, err)
		assert.Equal(t, before.Version, after.Version, "nothing written")
	}
	// The ends themselves are reachable.
	require.NoError(t, a.Set(ctx, math.MaxInt64-1))
	r, err := a.Increment(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(math.MaxInt64), r.Post)
	r, err = a.Add(ctx, math.MinInt64)
	require.NoError(t, err)
	assert.Equal(t, int64(-1), r.Post)
}
