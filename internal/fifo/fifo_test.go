package fifo

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errEnd = errors.New("fifo test: end")

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestQueue_OrderThenEnd(t *testing.T) {
	q := New[int]()
	for i := range 100 {
		require.True(t, q.Push(i))
	}
	q.End(errEnd)
	assert.False(t, q.Push(100), "nothing is taken after End")
	q.End(errors.New("second")) // only the first counts
	for i := range 100 {
		v, err := q.Next(ctxT(t))
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	_, err := q.Next(ctxT(t))
	assert.ErrorIs(t, err, errEnd)
}

func TestQueue_CloseDrops(t *testing.T) {
	q := New[int]()
	q.Push(1)
	q.Close(errEnd)
	_, err := q.Next(ctxT(t))
	assert.ErrorIs(t, err, errEnd)
	assert.Empty(t, q.Drain())
}

func TestQueue_NextHonoursCtx(t *testing.T) {
	q := New[int]()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := q.Next(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

// End wakes every waiting Next, not only one.
func TestQueue_EndWakesAllWaiters(t *testing.T) {
	q := New[int]()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			_, err := q.Next(ctxT(t))
			errs <- err
		})
	}
	q.End(errEnd)
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.ErrorIs(t, err, errEnd)
	}
}

// Two items pushed while two consumers wait reach both: the one woken
// passes the turn on when it leaves an item behind.
func TestQueue_ConcurrentConsumersGetEveryItem(t *testing.T) {
	for range 200 {
		q := New[int]()
		got := make(chan int, 2)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				v, err := q.Next(ctxT(t))
				if err == nil {
					got <- v
				}
			})
		}
		q.Push(1)
		q.Push(2)
		wg.Wait()
		require.Len(t, got, 2)
	}
}

// A queue emptied after a burst lets the burst's array go; a trickle
// reuses a small one and allocates nothing; a reader that lags by a few
// items keeps the array from growing.
func TestQueue_Memory(t *testing.T) {
	q := New[int]()
	for i := range 1000 {
		q.Push(i)
	}
	for i := range 1000 {
		v, err := q.Next(ctxT(t))
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	assert.LessOrEqual(t, cap(q.items), keepCap, "the burst's array went")

	ctx := ctxT(t)
	allocs := testing.AllocsPerRun(100, func() {
		q.Push(1)
		_, _ = q.Next(ctx)
	})
	assert.Zero(t, allocs, "a trickle")

	for i := range 3 {
		q.Push(i)
	}
	for i := range 10000 {
		q.Push(i)
		_, err := q.Next(ctx)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, cap(q.items), keepCap, "a lag of 3 items")
}

func TestQueue_Drain(t *testing.T) {
	q := New[string]()
	q.Push("a")
	q.Push("b")
	assert.Equal(t, []string{"a", "b"}, q.Drain())
	assert.Empty(t, q.Drain())
}
