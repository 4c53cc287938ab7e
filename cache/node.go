package cache

import (
	"context"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// Node caches one node's data and stat, present or absent (Curator's
// NodeCache, kazoo's DataWatch). A Node is safe for concurrent use.
type Node struct{ e *engine }

// NewNode returns a cache of the node at path, which need not exist. It
// does no I/O: Start loads it. An invalid path or option is an error
// wrapping [zkrecipes.ErrInvalidPath] or [zkrecipes.ErrInvalidArgument]
// (WithMaxDepth, WithFilter and WithoutData do not apply to a Node); a nil
// c panics.
func NewNode(c *zkrecipes.Client, path string, opts ...Option) (*Node, error) {
	o, err := construct("NewNode", c, path, 0, opts)
	if err != nil {
		return nil, err
	}
	return &Node{newEngine(c, path, "node", o)}, nil
}

// Path returns the node's path, relative to the namespace.
func (n *Node) Path() string { return n.e.root.path }

// Start reads the node and keeps its cache up to date until Close. It
// returns once the node was read (after the Initialized event), or when
// ctx is done, the cache or the client is closed; on failure the cache is
// closed and nothing is left running. A second Start returns ErrStarted.
func (n *Node) Start(ctx context.Context) error { return n.e.start(ctx) }

// Close stops the cache, releases its goroutines and waits for them (see
// [Tree.Close]). Close is idempotent.
func (n *Node) Close() { n.e.close() }

// Get returns the cached entry, or false while the node does not exist
// (or before Start).
func (n *Node) Get() (*Entry, bool) { return n.e.get(n.e.root.path) }

// Subscribe starts a subscription to the cache's events (see
// [Tree.Subscribe]).
func (n *Node) Subscribe() *Subscription { return n.e.subscribe() }

// Stale reports whether the cache may miss changes, and since when (see
// [Tree.Stale]).
func (n *Node) Stale() (bool, time.Time) { return n.e.staleSince() }
