package barrier

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// Barrier is a gate that is closed while its node exists: [Barrier.Set]
// closes it, [Barrier.Remove] opens it, and [Barrier.Wait] blocks while it
// is closed. The node is persistent, so the barrier outlives the session
// that set it. A Barrier holds no state of its own and is safe for
// concurrent use.
type Barrier struct {
	c    *zkrecipes.Client
	path string
	o    options
}

// New returns a Barrier on the node at path (relative to the client's
// namespace). It does no I/O. An invalid path is an error wrapping
// zkrecipes.ErrInvalidPath, an invalid option one wrapping
// zkrecipes.ErrInvalidArgument; a nil c panics (see the package doc,
// "Bad input").
func New(c *zkrecipes.Client, path string, opts ...Option) (*Barrier, error) {
	o, err := construct("New", c, path, opts)
	if err != nil {
		return nil, err
	}
	return &Barrier{c: c, path: path, o: o}, nil
}

// Path returns the barrier node's path, relative to the namespace.
func (b *Barrier) Path() string { return b.path }

// Set closes the barrier by creating its node (and missing parents, as
// containers). Setting a barrier that is already set succeeds. On failure
// the barrier may or may not be set; Set can be called again.
func (b *Barrier) Set(ctx context.Context) error {
	_, err := b.c.Create(ctx, b.path, nil, zkrecipes.Persistent, b.o.createOpts()...)
	// NodeExists also covers a create retried after a lost reply that had
	// in fact landed: either way the barrier is set.
	if err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return fmt.Errorf("barrier: set %s: %w", b.path, err)
	}
	return nil
}

// Remove opens the barrier by deleting its node, releasing every waiter.
// Removing a barrier that is not set succeeds.
func (b *Barrier) Remove(ctx context.Context) error {
	err := b.c.Delete(ctx, b.path, -1)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("barrier: remove %s: %w", b.path, err)
	}
	return nil
}

// Wait blocks until the barrier is open (its node is absent), ctx is done
// or the client is closed. A session loss does not end the wait: the
// barrier node is persistent, so Wait looks again in the next session.
//
// Wait watches the node with a data watch, which fires when it is deleted
// (or changed, after which Wait looks again). Unlike an exists watch, a
// data watch is not left behind on the server when the node is already
// absent, so a returning Wait leaves no watch.
func (b *Barrier) Wait(ctx context.Context) error {
	for {
		susp := b.c.Session().Suspended() // reconnecting can lose events (see view)
		_, _, ch, err := b.c.GetW(ctx, b.path)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			return nil
		case errors.Is(err, zkrecipes.ErrSessionLost):
			continue // the next session sees the same persistent node
		case err != nil:
			return fmt.Errorf("barrier: wait %s: %w", b.path, err)
		}
		select {
		case ev := <-ch:
			if ev.Type == zk.EventNodeDeleted {
				return nil
			}
			// A data change, or EventNotWatching after a session loss:
			// look again.
		case <-susp:
		case <-ctx.Done():
			return fmt.Errorf("barrier: wait %s: %w", b.path, ctx.Err())
		}
	}
}
