package cache

import (
	"context"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// Children caches the direct children of a node with their data (or
// their stats only, WithoutData), e.g. the ephemeral nodes of live servers
// under /servers: Curator's PathChildrenCache, kazoo's ChildrenWatch with
// data. The parent need not exist. A Children is safe for concurrent use.
type Children struct{ e *engine }

// NewChildren returns a cache of the children of the node at path. It does
// no I/O: Start loads it. An invalid path or option is an error wrapping
// [zkrecipes.ErrInvalidPath] or [zkrecipes.ErrInvalidArgument]
// (WithMaxDepth does not apply); a nil c panics.
func NewChildren(c *zkrecipes.Client, path string, opts ...Option) (*Children, error) {
	o, err := construct("NewChildren", c, path, 1, opts)
	if err != nil {
		return nil, err
	}
	return &Children{newEngine(c, path, "children", o)}, nil
}

// Path returns the parent's path, relative to the namespace.
func (c *Children) Path() string { return c.e.root.path }

// Start lists and reads the children and keeps the cache up to date until
// Close. It returns once every child that existed when the parent was
// listed is in the cache (after the Initialized event), or when ctx is
// done, the cache or the client is closed; on failure the cache is closed
// and nothing is left running. A second Start returns ErrStarted.
func (c *Children) Start(ctx context.Context) error { return c.e.start(ctx) }

// Close stops the cache, releases its goroutines and waits for them (see
// [Tree.Close]). Close is idempotent.
func (c *Children) Close() { c.e.close() }

// Children returns the cached children, sorted by name.
func (c *Children) Children() []*Entry { return c.e.children(c.e.root.path) }

// Get returns the cached child called name.
func (c *Children) Get(name string) (*Entry, bool) {
	return c.e.get(join(c.e.root.path, name))
}

// Parent returns the cached parent node, or false while it does not exist.
func (c *Children) Parent() (*Entry, bool) { return c.e.get(c.e.root.path) }

// Subscribe starts a subscription to the cache's events (see
// [Tree.Subscribe]). Events about the parent itself have Path equal to
// [Children.Path].
func (c *Children) Subscribe() *Subscription { return c.e.subscribe() }

// Stale reports whether the cache may miss changes, and since when (see
// [Tree.Stale]).
func (c *Children) Stale() (bool, time.Time) { return c.e.staleSince() }
