package cache

import (
	"context"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// Tree caches a subtree: a root node and every node below it, to an
// optional depth (WithMaxDepth) and through an optional filter
// (WithFilter). Curator's CuratorCache and TreeCache, kazoo's TreeCache.
// A Tree is safe for concurrent use.
type Tree struct{ e *engine }

// NewTree returns a cache of the subtree at path. It does no I/O: Start
// loads it. The root need not exist. An invalid path or option is an
// error wrapping [zkrecipes.ErrInvalidPath] or
// [zkrecipes.ErrInvalidArgument]; a nil c panics.
func NewTree(c *zkrecipes.Client, path string, opts ...Option) (*Tree, error) {
	o, err := construct("NewTree", c, path, -1, opts)
	if err != nil {
		return nil, err
	}
	return &Tree{newEngine(c, path, "tree", o)}, nil
}

// Path returns the root's path, relative to the namespace.
func (t *Tree) Path() string { return t.e.root.path }

// Start loads the subtree and keeps it up to date until Close. It returns
// once every node that existed when it was read is in the cache (after
// the Initialized event), or when ctx is done, the cache or the client is
// closed; on failure the cache is closed and nothing is left running.
// A second Start returns ErrStarted.
func (t *Tree) Start(ctx context.Context) error { return t.e.start(ctx) }

// Close stops the cache, releases its goroutines and waits for them;
// subscriptions end after the events already queued. Watches already set
// stay set, on the server and in the client, until they fire or the
// session ends (the client has no call to remove a watch), and are then
// ignored. Close is idempotent.
func (t *Tree) Close() { t.e.close() }

// Get returns the cached entry at path, if the node is in the cache.
func (t *Tree) Get(path string) (*Entry, bool) { return t.e.get(path) }

// Children returns the cached children of the node at path, sorted by
// name.
func (t *Tree) Children(path string) []*Entry { return t.e.children(path) }

// Snapshot returns every cached entry at one instant, parents before their
// children and siblings by name; nil while the root does not exist.
func (t *Tree) Snapshot() []*Entry { return t.e.snapshot() }

// Walk calls fn on every entry of one Snapshot, in its order, until fn
// returns false.
func (t *Tree) Walk(fn func(*Entry) bool) {
	for _, en := range t.e.snapshot() {
		if !fn(en) {
			return
		}
	}
}

// Subscribe starts a subscription to the cache's events. A subscription
// made before Start sees every node arrive as Created, then Initialized.
// It queues without bound: read it or Close it.
func (t *Tree) Subscribe() *Subscription { return t.e.subscribe() }

// Stale reports whether the cache may miss changes, and since when: from
// the suspension of the client's connection (or the loss of its session)
// until the resync that follows ends with Reinitialized.
func (t *Tree) Stale() (bool, time.Time) { return t.e.staleSince() }
