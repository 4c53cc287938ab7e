// Package fifo is the unbounded queue behind every subscription of the
// module (zkrecipes.Subscription, cache.Subscription, the roster's
// Changes): the producer never blocks and nothing is lost; the consumer
// pulls with Next, and no goroutine is started.
package fifo

import (
	"context"
	"sync"
)

// Queue is an unbounded first-in first-out queue of T, safe for
// concurrent use. Create it with New.
type Queue[T any] struct {
	mu    sync.Mutex
	items []T // items[head:] are queued; items starts at its array's start
	head  int
	sig   chan struct{} // holds a token while an item may be waiting
	done  chan struct{} // closed by End or Close
	err   error         // what Next returns once the queue is ended and empty
}

// New returns an empty queue.
func New[T any]() *Queue[T] {
	return &Queue[T]{sig: make(chan struct{}, 1), done: make(chan struct{})}
}

// Push appends v and reports whether it was taken: after End or Close it
// is dropped.
func (q *Queue[T]) Push(v T) bool {
	q.mu.Lock()
	if q.err != nil {
		q.mu.Unlock()
		return false
	}
	if q.head > 0 && len(q.items) == cap(q.items) {
		// Full, with taken items at the front: move the queued ones
		// there rather than grow the array.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.wake()
	return true
}

// End marks the end of the stream: Next returns what is queued, then err
// (which must not be nil). Only the first End or Close counts.
func (q *Queue[T]) End(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.endLocked(err)
}

// Close ends the stream (as End) and drops what was not taken.
func (q *Queue[T]) Close(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items, q.head = nil, 0
	q.endLocked(err)
}

func (q *Queue[T]) endLocked(err error) {
	if q.err == nil {
		q.err = err
		close(q.done) // wakes every waiting Next
	}
}

// Next returns the next item, waiting for one until ctx is done. Once the
// queue is ended and empty it returns the error given to End or Close.
func (q *Queue[T]) Next(ctx context.Context) (T, error) {
	var zero T
	for {
		q.mu.Lock()
		if q.head < len(q.items) {
			v := q.items[q.head]
			q.items[q.head] = zero // let the queue forget it
			q.head++
			more := q.head < len(q.items)
			if !more {
				q.reset()
			}
			q.mu.Unlock()
			if more {
				q.wake() // pass the turn on to another waiting Next
			}
			return v, nil
		}
		err := q.err
		q.mu.Unlock()
		if err != nil {
			return zero, err
		}
		select {
		case <-q.sig:
		case <-q.done:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// Drain takes everything queued at once, without waiting.
func (q *Queue[T]) Drain() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.items[q.head:]
	q.items, q.head = nil, 0
	return out
}

// reset empties the queue: it keeps a small array for the next items (a
// steady trickle allocates nothing) and lets a large one, a burst's, go.
func (q *Queue[T]) reset() {
	q.head = 0
	if cap(q.items) > keepCap {
		q.items = nil
		return
	}
	q.items = q.items[:0]
}

// keepCap is the largest array an emptied queue keeps.
const keepCap = 64

func (q *Queue[T]) wake() {
	select {
	case q.sig <- struct{}{}:
	default:
	}
}
