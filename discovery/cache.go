package discovery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/internal/observe"
	"github.com/zkrecipes/zkrecipes/internal/roster"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Change is one change of a [ServiceCache]: an instance registered
// (Kind Joined, New), unregistered or expired (Left, Old), or updated
// (Updated, Old and New), with the instance in it: Curator's
// ServiceCacheListener only says "changed".
type Change = roster.Change[Instance]

// Changes is a subscription to a ServiceCache's changes: Next returns
// them in order from an unbounded queue; Close ends it.
type Changes = roster.Changes[Instance]

// Change kinds.
const (
	Joined  = roster.Joined
	Left    = roster.Left
	Updated = roster.Updated
)

// ServiceCache is the live list of one service's instances, kept by a
// children cache (package cache) and read without I/O: Curator's
// ServiceCache. It is a [Source] for [NewProvider]. A ServiceCache is safe
// for concurrent use. It reports its instance count to the client's
// [zkrecipes.Observer] (ServiceInstances) whenever the list changes, and
// its children cache reports as any cache does.
type ServiceCache struct {
	r *roster.Roster[Instance]
}

// Cache loads the instances of service name and follows them until
// Close. It returns once the initial load is complete, or with ctx's
// error (leaving nothing running). Records that cannot be read are left
// out and logged. A missing service node is created first, as a container
// (with missing parents), as Curator's ServiceCache does: instances then
// register without creating it, and the cache lists them from the start;
// a client not allowed to create it follows the service all the same.
func (d *Discovery) Cache(ctx context.Context, name string) (*ServiceCache, error) {
	dir := zkpath.Join(d.base, name)
	if err := d.ensureService(ctx, dir); err != nil {
		return nil, fmt.Errorf("discovery: cache %s: %w", dir, err)
	}
	var count func(int)
	if s := observe.NewService(d.c, dir, name); s != nil {
		count = s.Instances
	}
	r, err := roster.Start(ctx, d.c, dir, func(_ string, e *cache.Entry) (Instance, error) { return Unmarshal(e.Data) }, count)
	if err != nil {
		return nil, fmt.Errorf("discovery: cache %s: %w", dir, err)
	}
	return &ServiceCache{r: r}, nil
}

// ensureService creates the service node dir as a container if it is
// missing. Only ctx's end and the client's are errors: a create refused
// (an ACL) leaves the cache to wait for the node.
func (d *Discovery) ensureService(ctx context.Context, dir string) error {
	ok, _, err := d.c.Exists(ctx, dir)
	if err == nil && !ok {
		_, err = d.c.Create(ctx, dir, nil, zkrecipes.Container, zkrecipes.WithParents())
	}
	switch {
	case err == nil, errors.Is(err, zk.ErrNodeExists):
		return nil
	case ctx.Err() != nil, errors.Is(err, zkrecipes.ErrClosed):
		return err
	}
	d.c.Logger().Warn("discovery: cannot create the service node; following it all the same", "path", dir, "err", err)
	return nil
}

// Instances returns the instances, sorted by id, disabled ones included.
// The slice is shared: do not modify it. It is the same slice until the
// instances change.
func (s *ServiceCache) Instances() []Instance { return s.r.List() }

// Subscribe starts a subscription to the changes after this call.
// Instances after a change's Next reflects at least that change.
func (s *ServiceCache) Subscribe() *Changes { return s.r.Subscribe() }

// Stale reports whether the cache may miss changes (the connection is
// suspended, or the cache is catching up after it), and since when.
func (s *ServiceCache) Stale() (bool, time.Time) { return s.r.Stale() }

// Provider returns a Provider over the cache.
func (s *ServiceCache) Provider(opts ...ProviderOption) *Provider { return NewProvider(s, opts...) }

// Close stops following the instances. Close is idempotent.
func (s *ServiceCache) Close() { s.r.Close() }
