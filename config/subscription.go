package config

import (
	"context"

	"github.com/zkrecipes/zkrecipes/cache"
)

// Update is one change of a Value: its new value, or Present false when
// the node was deleted, or Err when its new data do not decode.
type Update[T any] struct {
	Current[T]
	Present bool
	Err     error
}

// Subscription receives every change of a Value after Subscribe, in
// order, from an unbounded queue (see [cache.Subscription]): a slow
// reader never blocks the Value and never misses a change.
type Subscription[T any] struct {
	v *Value[T]
	s *cache.Subscription
}

// Subscribe starts a subscription to the Value's changes. Made before
// Start, it sees the node's value (if it exists) as the first update.
func (v *Value[T]) Subscribe() *Subscription[T] {
	return &Subscription[T]{v: v, s: v.n.Subscribe()}
}

// Next returns the next change, waiting for one until ctx is done. Its
// error is ctx's, or zkrecipes.ErrClosed once the Value is closed.
func (s *Subscription[T]) Next(ctx context.Context) (Update[T], error) {
	for {
		ev, err := s.s.Next(ctx)
		if err != nil {
			return Update[T]{}, err
		}
		switch ev.Kind {
		case cache.Created, cache.Changed:
			cur, err := s.v.decode(ev.New)
			return Update[T]{Current: cur, Present: true, Err: err}, nil
		case cache.Deleted:
			return Update[T]{}, nil
		}
	}
}

// Close ends the subscription.
func (s *Subscription[T]) Close() { s.s.Close() }
