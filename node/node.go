package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/cleanup"
	"github.com/zkrecipes/zkrecipes/internal/seam"
)

// Node is an ephemeral znode kept in place for as long as the Node is
// open: created by [Node.Start], created again after its session is lost
// or after someone deletes it, with the latest data given to
// [Node.SetData], and deleted by [Node.Close]: Curator's PersistentNode
// in EPHEMERAL (or, with [WithProtectedSequential], protected
// EPHEMERAL_SEQUENTIAL) mode. A Node is safe for concurrent use. Use one
// Node per path and client: two of one client would both own the node.
type Node struct {
	keeper // c, path, mu (guarding the state below too) and the lifecycle
	o      options

	data     []byte
	dataGen  uint64 // bumped by every SetData
	cur      holding
	conflict error // a ConflictError while one is reported

	setMu sync.Mutex // one data write at a time, so the server sees them in order
}

// holding is our node as it stands: where, in which session, the data
// generation it holds and its data version.
type holding struct {
	path    string
	sess    *zkrecipes.Session
	gen     uint64
	version int32
}

func (h holding) live() bool { return h.sess != nil && h.sess.Err() == nil }

// New returns a Node for path with data. It does no I/O; [Node.Start]
// creates the node. An invalid path or option is an error (wrapping
// zkrecipes.ErrInvalidPath or zkrecipes.ErrInvalidArgument), data over
// zkrecipes.MaxDataSize too; a nil c panics.
func New(c *zkrecipes.Client, path string, data []byte, opts ...Option) (*Node, error) {
	o, err := construct("New", c, path, opts)
	if err != nil {
		return nil, err
	}
	if err := checkSize("New", data); err != nil {
		return nil, err
	}
	if o.conflictWait == 0 {
		o.conflictWait = c.SessionTimeout() + DefaultConflictMargin
	}
	return &Node{keeper: newKeeper(c, path), o: o, data: bytes.Clone(data), dataGen: 1}, nil
}

// Path returns the path the Node was made with, relative to the namespace
// (a name prefix with [WithProtectedSequential]).
func (n *Node) Path() string { return n.path }

// ActualPath returns the path of the node as it stands, relative to the
// namespace, or "" while there is none (before the first creation, and
// between a loss and the re-creation).
func (n *Node) ActualPath() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.cur.live() {
		return ""
	}
	return n.cur.path
}

// Data returns the data the node has, or will have when it is next
// created.
func (n *Node) Data() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return bytes.Clone(n.data)
}

// Start starts the client-owned goroutine that creates the node and keeps
// it in place until [Node.Close]. It returns at once; [Node.WaitCreated]
// waits for the first creation. Later calls do nothing.
func (n *Node) Start() { n.start(n.run) }

// WaitCreated blocks until the node exists in the client's live session,
// ctx is done, the Node is closed (ErrClosed) or its client is
// (zkrecipes.ErrClosed). While another session holds the path past the
// conflict wait it returns a [*ConflictError] (matching ErrConflict) at
// once; the Node keeps waiting for that node to go. It leaves nothing
// behind.
func (n *Node) WaitCreated(ctx context.Context) error {
	return n.wait(ctx, func() (bool, error) { return n.cur.live(), n.conflict })
}

// SetData makes data the node's data: now, if the node exists, and at
// every later creation. It returns once the data is written, or the node
// is known to be absent (the next creation writes it), or with the error
// of the write (ctx done, an uncertain write): the data is remembered all
// the same and written at the next creation.
func (n *Node) SetData(ctx context.Context, data []byte) error {
	if err := checkSize("set data "+n.path, data); err != nil {
		return err
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return ErrClosed
	}
	n.data, n.dataGen = bytes.Clone(data), n.dataGen+1
	n.mu.Unlock()
	if err := n.writeLatest(ctx); err != nil {
		return fmt.Errorf("node: set data %s: %w", n.path, err)
	}
	return nil
}

// writeLatest writes the latest data to our node if it holds older data.
// Writes are versioned, so that a node someone else put in our place is
// never written; a node that is gone or not ours is left to the
// maintainer.
func (n *Node) writeLatest(ctx context.Context) error {
	n.setMu.Lock()
	defer n.setMu.Unlock()
	for {
		n.mu.Lock()
		cur, data, gen := n.cur, n.data, n.dataGen
		n.mu.Unlock()
		if !cur.live() || cur.gen >= gen {
			return nil
		}
		st, err := cur.sess.Set(ctx, cur.path, data, cur.version)
		if errors.Is(err, zk.ErrBadVersion) {
			// Our own write whose reply was lost, or someone else's:
			// take the version if the node is still ours.
			ok, st, err := cur.sess.Exists(ctx, cur.path)
			if err != nil || !ok || st.EphemeralOwner != cur.sess.ID() {
				return ignoreGone(err)
			}
			n.update(cur, func(h *holding) { h.version = st.Version })
			continue
		}
		if err != nil {
			return ignoreGone(err)
		}
		n.update(cur, func(h *holding) { h.gen, h.version = gen, st.Version })
	}
}

// ignoreGone drops the errors that mean the node is gone with its session
// or deleted: the maintainer creates it again with the latest data.
func ignoreGone(err error) error {
	if errors.Is(err, zk.ErrNoNode) || (errors.Is(err, zkrecipes.ErrSessionLost) && !errors.Is(err, zkrecipes.ErrUncertain)) {
		return nil
	}
	return err
}

// update applies f to n.cur if it is still the node h.
func (n *Node) update(h holding, f func(*holding)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cur.sess == h.sess && n.cur.path == h.path {
		f(&n.cur)
	}
}

// Close stops keeping the node and deletes it. It returns once the node
// is deleted (or gone with its session), or with the error of the delete
// when ctx ends first or the connection is down; a client-owned goroutine
// then keeps trying until the session ends, which removes the node
// anyway. A node that is not ours (another session's, after a conflict)
// is never deleted. Close is idempotent.
func (n *Node) Close(ctx context.Context) error {
	if !n.shut() {
		return nil
	}
	n.mu.Lock()
	cur := n.cur
	n.cur = holding{}
	n.mu.Unlock()
	if cur.sess == nil && !n.o.sequential {
		// A create cancelled by stop may have landed without our knowing.
		cur = holding{path: n.path, sess: n.c.Session()}
	}
	if cur.sess == nil || cur.sess.Err() != nil {
		return nil
	}
	ok, st, err := cur.sess.Exists(ctx, cur.path)
	if err == nil && (!ok || st.EphemeralOwner != cur.sess.ID()) {
		return nil // gone, or not ours
	}
	if _, err := cleanup.Remove(ctx, seam.Spawner(n.c), cur.sess, cur.path); err != nil {
		return fmt.Errorf("node: close %s: %w", n.path, err)
	}
	return nil
}
