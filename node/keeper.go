package node

import (
	"context"
	"fmt"
	"sync"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam"
)

// keeper is what [Node] and [TTL] share: the client-owned goroutine that
// keeps a node in place, its start and stop, and the wait for the node.
// Both embed it; its mu also guards their own state, so that a waiter
// reads that state and the lifecycle in one step.
type keeper struct {
	c    *zkrecipes.Client
	path string

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when the state changes
	started bool
	closed  bool
	stop    context.CancelFunc
	done    chan struct{} // closed when the goroutine has returned
}

func newKeeper(c *zkrecipes.Client, path string) keeper {
	return keeper{c: c, path: path, changed: make(chan struct{})}
}

// start runs run on a client-owned goroutine, once: later calls, and
// calls after shut, do nothing. run's ctx ends with shut or with the
// client.
func (k *keeper) start(run func(ctx context.Context)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.started || k.closed {
		return
	}
	k.started = true
	ctx, cancel := context.WithCancel(context.Background())
	k.stop, k.done = cancel, make(chan struct{})
	if !seam.Go(k.c, func(life context.Context) {
		defer close(k.done)
		defer context.AfterFunc(life, cancel)() // client closed
		run(ctx)
	}) {
		close(k.done) // the client is closed: wait says so
	}
}

// set applies f to the state under mu and wakes the waiters.
func (k *keeper) set(f func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f()
	k.wake()
}

// wake wakes the waiters; mu is held.
func (k *keeper) wake() {
	close(k.changed)
	k.changed = make(chan struct{})
}

// wait blocks until ready (called with mu held) reports the node in
// place (nil) or an error to return at once, ctx is done, the keeper is
// shut (ErrClosed) or its client is closed (zkrecipes.ErrClosed).
func (k *keeper) wait(ctx context.Context, ready func() (bool, error)) error {
	for {
		k.mu.Lock()
		ok, err := ready()
		changed, done, started, closed := k.changed, k.done, k.started, k.closed
		k.mu.Unlock()
		switch {
		case closed:
			return ErrClosed
		case !started:
			return ErrNotStarted
		case ok:
			return nil
		case err != nil:
			return err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return fmt.Errorf("node: %s: %w", k.path, zkrecipes.ErrClosed)
		}
	}
}

// shut marks the keeper closed, wakes the waiters, stops the goroutine
// and waits for it. It reports whether the goroutine had been started by
// a first shut: false means there is nothing to clean up.
func (k *keeper) shut() bool {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return false
	}
	k.closed = true
	k.wake()
	stop, done, started := k.stop, k.done, k.started
	k.mu.Unlock()
	if !started {
		return false
	}
	stop()
	<-done
	return true
}

// checkSize refuses data over zkrecipes.MaxDataSize, for what ("New",
// "set data /path").
func checkSize(what string, data []byte) error {
	if len(data) > zkrecipes.MaxDataSize {
		return fmt.Errorf("node: %s: %d bytes of data exceeds %d: %w", what, len(data), zkrecipes.MaxDataSize, zkrecipes.ErrInvalidArgument)
	}
	return nil
}
