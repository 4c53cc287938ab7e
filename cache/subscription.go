package cache

import (
	"context"
	"sync"

	"github.com/zkrecipes/zkrecipes"
)

// Subscription receives every event of a cache after Subscribe, in the
// order the cache applied them. It buffers without bound, so a slow
// reader never blocks the cache and never loses an event; it starts no
// goroutine: the reader pulls with Next.
type Subscription struct {
	e      *engine
	mu     sync.Mutex
	q      []Event
	sig    chan struct{}
	closed bool
}

func (e *engine) subscribe() *Subscription {
	s := &Subscription{e: e, sig: make(chan struct{}, 1)}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		s.closed = true
		return s
	}
	e.subs[s] = struct{}{}
	return s
}

// Next returns the next event, waiting for one until ctx is done. Once the
// cache is closed it returns the events queued before, then
// [zkrecipes.ErrClosed], as it does after Close.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if len(s.q) > 0 {
			ev := s.q[0]
			s.q[0] = Event{}
			s.q = s.q[1:]
			s.mu.Unlock()
			return ev, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Event{}, zkrecipes.ErrClosed
		}
		select {
		case <-s.sig:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// Close ends the subscription and drops what it had not delivered.
func (s *Subscription) Close() {
	s.e.mu.Lock()
	delete(s.e.subs, s)
	s.e.mu.Unlock()
	s.mu.Lock()
	s.closed, s.q = true, nil
	s.mu.Unlock()
	s.wake()
}

// deliver queues ev; last marks the end of the stream (the cache closed).
func (s *Subscription) deliver(ev *Event, last bool) {
	s.mu.Lock()
	if !s.closed {
		if ev != nil {
			s.q = append(s.q, *ev)
		}
		s.closed = last
	}
	s.mu.Unlock()
	s.wake()
}

func (s *Subscription) wake() {
	select {
	case s.sig <- struct{}{}:
	default:
	}
}
