package discovery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/node"
)

// Registration is an instance registered by this process. A Dynamic one
// is kept in place (created again after a session loss or a deletion by
// someone else) until Unregister. A Registration is safe for concurrent
// use.
type Registration struct {
	d    *Discovery
	path string
	n    *node.Node // Dynamic only

	wmu    sync.Mutex // one Update or Unregister at a time
	mu     sync.Mutex // guards in and closed
	in     Instance
	closed bool
}

// Register registers in and returns once its node exists. A Dynamic
// instance (the default) is an ephemeral node kept in place by a
// [node.Node] until [Registration.Unregister]; Static and Permanent ones
// are persistent nodes, written over if they exist as persistent nodes.
// Missing base and service nodes are created as containers.
//
// Register never takes over another session's node with the same name
// and id: it waits for it to go, for the conflict wait (see
// WithConflictWait), and then fails with an error wrapping ErrConflict.
// An invalid instance (a name or id that is not a znode name, an
// unbalanced URISpec, an invalid payload, a DynamicSequential type) is an
// error wrapping zkrecipes.ErrInvalidArgument, before any I/O. On failure
// nothing is left behind.
func (d *Discovery) Register(ctx context.Context, in Instance) (*Registration, error) {
	if err := in.check(); err != nil {
		return nil, fmt.Errorf("discovery: register: %w", err)
	}
	if in.Registered.IsZero() {
		in.Registered = time.Now()
	}
	in.Registered = in.Registered.Truncate(time.Millisecond)
	data, err := Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("discovery: register: %w", err)
	}
	r := &Registration{d: d, path: d.InstancePath(in.Name, in.ID), in: in}
	if in.serviceType() != Dynamic {
		if err := r.writePersistent(ctx, data); err != nil {
			return nil, fmt.Errorf("discovery: register %s: %w", r.path, err)
		}
		return r, nil
	}
	r.n, err = node.New(d.c, r.path, data, d.o.Node()...)
	if err != nil {
		return nil, fmt.Errorf("discovery: register: %w", err)
	}
	r.n.Start()
	if err := r.n.WaitCreated(ctx); err != nil {
		_ = r.n.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("discovery: register %s: %w", r.path, err)
	}
	return r, nil
}

// writePersistent creates or overwrites the persistent node of a Static
// or Permanent instance; an ephemeral node of someone else is a conflict.
func (r *Registration) writePersistent(ctx context.Context, data []byte) error {
	c := r.d.c
	for {
		_, err := c.Create(ctx, r.path, data, zkrecipes.Persistent, r.d.o.Create()...)
		if !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
		ok, st, err := c.Exists(ctx, r.path)
		switch {
		case err != nil:
			return err
		case !ok:
			continue
		case st.EphemeralOwner != 0:
			return &node.ConflictError{Path: r.path, Owner: st.EphemeralOwner, Czxid: st.Czxid}
		}
		if _, err = c.Set(ctx, r.path, data, st.Version); !errors.Is(err, zk.ErrBadVersion) && !errors.Is(err, zk.ErrNoNode) {
			return err
		}
	}
}

// Path returns the instance's node path, relative to the namespace.
func (r *Registration) Path() string { return r.path }

// Instance returns the instance as last registered or updated.
func (r *Registration) Instance() Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.in
}

// Update replaces the registered instance's record with in (same name
// and id; a zero Registered keeps the registration time) by writing the
// node's data, as Curator's updateService does: observers see an update,
// never a departure. For a Dynamic instance the new record is also what
// any later re-creation writes.
func (r *Registration) Update(ctx context.Context, in Instance) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	r.mu.Lock()
	prev, closed := r.in, r.closed
	r.mu.Unlock()
	if closed {
		return ErrUnregistered
	}
	if in.Name != prev.Name || in.ID != prev.ID || in.serviceType() != prev.serviceType() {
		return fmt.Errorf("discovery: update %s: name, id and service type cannot change: %w", r.path, zkrecipes.ErrInvalidArgument)
	}
	if err := in.check(); err != nil {
		return fmt.Errorf("discovery: update %s: %w", r.path, err)
	}
	if in.Registered.IsZero() {
		in.Registered = prev.Registered
	}
	in.Registered = in.Registered.Truncate(time.Millisecond)
	data, err := Marshal(in)
	if err != nil {
		return fmt.Errorf("discovery: update %s: %w", r.path, err)
	}
	if r.n != nil {
		err = r.n.SetData(ctx, data)
	} else {
		err = r.writePersistent(ctx, data)
	}
	r.mu.Lock()
	r.in = in // remembered even if the write failed: the next creation writes it
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("discovery: update %s: %w", r.path, err)
	}
	return nil
}

// Unregister deletes the instance's node and, for a Dynamic instance,
// stops keeping it in place. It returns once the node is deleted (or gone
// with the session), or with the delete's error; see [node.Node.Close].
// Later calls return nil.
func (r *Registration) Unregister(ctx context.Context) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	r.mu.Lock()
	closed := r.closed
	r.closed = true
	r.mu.Unlock()
	if closed {
		return nil
	}
	var err error
	if r.n != nil {
		err = r.n.Close(ctx)
	} else if err = r.d.c.Delete(ctx, r.path, -1); errors.Is(err, zk.ErrNoNode) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("discovery: unregister %s: %w", r.path, err)
	}
	return nil
}
