package cache

import (
	"context"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/fifo"
)

// Subscription receives every event of a cache after Subscribe, in the
// order the cache applied them. It buffers without bound, so a slow
// reader never blocks the cache and never loses an event; it starts no
// goroutine: the reader pulls with Next.
type Subscription struct {
	e *engine
	q *fifo.Queue[Event]
}

func (e *engine) subscribe() *Subscription {
	s := &Subscription{e: e, q: fifo.New[Event]()}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		s.q.End(zkrecipes.ErrClosed)
		return s
	}
	e.subs[s] = struct{}{}
	return s
}

// Next returns the next event, waiting for one until ctx is done. Once the
// cache is closed it returns the events queued before, then
// [zkrecipes.ErrClosed], as it does after Close.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	return s.q.Next(ctx)
}

// Close ends the subscription and drops what it had not delivered.
func (s *Subscription) Close() {
	s.e.mu.Lock()
	delete(s.e.subs, s)
	s.e.mu.Unlock()
	s.q.Close(zkrecipes.ErrClosed)
}

// deliver queues ev; last marks the end of the stream (the cache closed).
func (s *Subscription) deliver(ev *Event, last bool) {
	if ev != nil {
		s.q.Push(*ev)
	}
	if last {
		s.q.End(zkrecipes.ErrClosed)
	}
}
