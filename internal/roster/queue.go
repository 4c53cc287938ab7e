package roster

import (
	"context"
	"sync"
)

// Changes receives the changes of a Roster after Subscribe, in order,
// from an unbounded queue: a slow reader never blocks the roster and
// loses nothing. It starts no goroutine; the reader pulls with Next.
type Changes[T any] struct {
	mu     sync.Mutex
	items  []Change[T]
	wake   chan struct{} // closed when items or closed change
	closed error         // set when no more changes come
	r      *Roster[T]
}

func newChanges[T any](r *Roster[T]) *Changes[T] {
	return &Changes[T]{wake: make(chan struct{}), r: r}
}

func (q *Changes[T]) push(ch Change[T]) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed != nil {
		return
	}
	q.items = append(q.items, ch)
	close(q.wake)
	q.wake = make(chan struct{})
}

func (q *Changes[T]) end(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed == nil {
		q.closed = err
		close(q.wake)
		q.wake = make(chan struct{})
	}
}

// Next returns the next change, waiting until ctx is done. Once the
// roster is closed it returns the changes queued before, then the
// closing error (zkrecipes.ErrClosed), as it does after Close.
func (q *Changes[T]) Next(ctx context.Context) (Change[T], error) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			ch := q.items[0]
			q.items[0] = Change[T]{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return ch, nil
		}
		closed, wake := q.closed, q.wake
		q.mu.Unlock()
		if closed != nil {
			return Change[T]{}, closed
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return Change[T]{}, ctx.Err()
		}
	}
}

// Close ends the subscription and drops what it had not delivered.
func (q *Changes[T]) Close() {
	q.r.unsubscribe(q)
	q.mu.Lock()
	q.items = nil
	q.mu.Unlock()
	q.end(errClosedSub)
}
