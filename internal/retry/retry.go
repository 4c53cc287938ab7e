package retry

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// NewBackOff makes a fresh backoff for one logical operation.
type NewBackOff func() backoff.BackOff

// Default is a capped exponential backoff: 10ms doubling to at most 1s,
// with jitter, and no elapsed-time limit of its own: an operation is
// bounded by its context and by the life of its session.
func Default() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 10 * time.Millisecond
	b.MaxInterval = time.Second
	b.Multiplier = 2
	b.RandomizationFactor = 0.3
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}

// Wait sleeps for the next backoff interval. It returns false when the
// policy gives up (backoff.Stop), and ctx.Err() or errStop when ctx is done
// or stop is closed first.
func Wait(ctx context.Context, b backoff.BackOff, stop <-chan struct{}, errStop error) (bool, error) {
	d := b.NextBackOff()
	if d == backoff.Stop {
		return false, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-stop:
		return false, errStop
	}
}
