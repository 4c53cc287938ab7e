package roster

import (
	"context"

	"github.com/zkrecipes/zkrecipes/internal/fifo"
)

// Changes receives the changes of a Roster after Subscribe, in order,
// from an unbounded queue: a slow reader never blocks the roster and
// loses nothing. It starts no goroutine; the reader pulls with Next.
type Changes[T any] struct {
	q *fifo.Queue[Change[T]]
	r *Roster[T]
}

func newChanges[T any](r *Roster[T]) *Changes[T] {
	return &Changes[T]{q: fifo.New[Change[T]](), r: r}
}

func (q *Changes[T]) push(ch Change[T]) { q.q.Push(ch) }

// end marks the end of the changes: Next returns err after the queued ones.
func (q *Changes[T]) end(err error) { q.q.End(err) }

// Next returns the next change, waiting until ctx is done. Once the
// roster is closed it returns the changes queued before, then the
// closing error (zkrecipes.ErrClosed), as it does after Close.
func (q *Changes[T]) Next(ctx context.Context) (Change[T], error) {
	return q.q.Next(ctx)
}

// Close ends the subscription and drops what it had not delivered.
func (q *Changes[T]) Close() {
	q.r.unsubscribe(q)
	q.q.Close(errClosedSub)
}
