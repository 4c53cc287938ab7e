package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// TouchName is the name of a TTL's keep-alive child (Curator's
// PersistentTtlNode.DEFAULT_CHILD_NODE_NAME).
const TouchName = "touch"

// TTL is a node that outlives its process by up to a time to live: a
// container at the path holding the data, kept alive by a child with a
// TTL that the TTL writes every ttl/touch factor (Curator's
// PersistentTtlNode, same layout). See the package doc for the server
// setting it needs. A TTL is safe for concurrent use.
type TTL struct {
	keeper // c, path, mu (guarding the state below too) and the lifecycle
	touch  string
	ttl    time.Duration
	o      options

	data   []byte
	ok     bool // the last touch succeeded
	placed bool // the node was put in place with our data once
}

// NewTTL returns a TTL node at path with data and time to live ttl (at
// least a millisecond: the server's unit). It does no I/O; [TTL.Start]
// creates the node. Invalid input is an error, as for [New];
// WithProtectedSequential is refused; a nil c panics.
func NewTTL(c *zkrecipes.Client, path string, data []byte, ttl time.Duration, opts ...Option) (*TTL, error) {
	o, err := construct("NewTTL", c, path, opts)
	switch {
	case err != nil:
		return nil, err
	case ttl < time.Millisecond:
		return nil, fmt.Errorf("node: NewTTL: ttl %v is under a millisecond: %w", ttl, zkrecipes.ErrInvalidArgument)
	case o.sequential:
		return nil, fmt.Errorf("node: NewTTL: WithProtectedSequential is for New only: %w", zkrecipes.ErrInvalidArgument)
	}
	if err := checkSize("NewTTL", data); err != nil {
		return nil, err
	}
	return &TTL{keeper: newKeeper(c, path), touch: zkpath.Join(path, TouchName), ttl: ttl, o: o, data: bytes.Clone(data)}, nil
}

// Path returns the node's path, relative to the namespace.
func (n *TTL) Path() string { return n.path }

// Start starts the client-owned goroutine that creates the node and
// touches it every ttl/touch factor until [TTL.Close]. Later calls do
// nothing.
func (n *TTL) Start() { n.start(n.run) }

// WaitCreated blocks until the node and its keep-alive child exist (the
// last touch succeeded), ctx is done, or the TTL or its client is closed.
func (n *TTL) WaitCreated(ctx context.Context) error {
	return n.wait(ctx, func() (bool, error) { return n.ok, nil })
}

// SetData writes data to the node now, if it exists, and remembers it for
// the next creation.
func (n *TTL) SetData(ctx context.Context, data []byte) error {
	if err := checkSize("set data "+n.path, data); err != nil {
		return err
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return ErrClosed
	}
	n.data = bytes.Clone(data)
	n.mu.Unlock()
	if _, err := n.c.Set(ctx, n.path, data, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("node: set data %s: %w", n.path, err)
	}
	return nil
}

func (n *TTL) run(ctx context.Context) {
	b := retry.Default()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		err := n.touchOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		n.setOK(err == nil)
		next := n.ttl / time.Duration(n.o.touchFactor)
		if err != nil {
			n.c.Logger().Warn("node: touching TTL node", "path", n.path, "err", err)
			if next = b.NextBackOff(); next < 0 || next > n.ttl/time.Duration(n.o.touchFactor) {
				next = n.ttl / time.Duration(n.o.touchFactor)
			}
		} else {
			b.Reset()
		}
		t.Reset(next)
	}
}

func (n *TTL) setOK(ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ok != ok {
		n.ok = ok
		n.wake()
	}
}

// touchOnce writes the keep-alive child. The first time, and whenever the
// node or the child is missing (expired, reaped or deleted), it puts the
// node in place first: creates it, or writes our data into the node it
// finds (one left by our previous process, or made by another keeper of
// the same node: Curator's PersistentNode sets its data there too), then
// creates or writes the child.
func (n *TTL) touchOnce(ctx context.Context) error {
	n.mu.Lock()
	data, placed := n.data, n.placed
	n.mu.Unlock()
	if placed {
		_, err := n.c.Set(ctx, n.touch, nil, -1)
		if !errors.Is(err, zk.ErrNoNode) {
			return err
		}
	}
	_, err := n.c.Create(ctx, n.path, data, zkrecipes.Container, n.o.createOpts()...)
	if errors.Is(err, zk.ErrNodeExists) {
		_, err = n.c.Set(ctx, n.path, data, -1) // Curator's orSetData: ours is the latest
	}
	if err != nil {
		return err
	}
	_, err = n.c.Create(ctx, n.touch, nil, zkrecipes.PersistentTTL, append(n.o.createOpts(), zkrecipes.WithTTL(n.ttl))...)
	if errors.Is(err, zk.ErrNodeExists) {
		_, err = n.c.Set(ctx, n.touch, nil, -1)
	}
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.placed = true
	n.mu.Unlock()
	return nil
}

// Close stops touching the node and deletes it (the keep-alive child,
// then the container). It returns the first delete error other than the
// node being gone; a container someone else put children in is left to
// the server to reap. Close is idempotent.
func (n *TTL) Close(ctx context.Context) error {
	if !n.shut() {
		return nil
	}
	for _, p := range []string{n.touch, n.path} {
		err := n.c.Delete(ctx, p, -1)
		if err != nil && !errors.Is(err, zk.ErrNoNode) && !errors.Is(err, zk.ErrNotEmpty) {
			return fmt.Errorf("node: close %s: %w", n.path, err)
		}
	}
	return nil
}
