package discovery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Discovery registers and finds service instances under a base path, in
// curator-x-discovery's layout and JSON. A Discovery is safe for
// concurrent use; it holds no state but its configuration.
type Discovery struct {
	c    *zkrecipes.Client
	base string
	o    options
}

// New returns a Discovery under base (e.g. "/services", the base path of
// Spring Cloud Zookeeper and Dubbo 3). It does no I/O. An invalid path or
// option is an error (wrapping zkrecipes.ErrInvalidPath or
// zkrecipes.ErrInvalidArgument); a nil c panics.
func New(c *zkrecipes.Client, base string, opts ...Option) (*Discovery, error) {
	var o options
	if err := misuse.Construct("discovery", "New", c, base, &o, &o.Errs, opts); err != nil {
		return nil, err
	}
	return &Discovery{c: c, base: base, o: o}, nil
}

// Path returns the base path, relative to the namespace.
func (d *Discovery) Path() string { return d.base }

// InstancePath returns the znode path of an instance: base/name/id.
func (d *Discovery) InstancePath(name, id string) string {
	return zkpath.Join(zkpath.Join(d.base, name), id)
}

// Names returns the names of the services under the base path, sorted
// (Curator's queryForNames). No base path yet means none.
func (d *Discovery) Names(ctx context.Context) ([]string, error) {
	names, _, err := d.c.Children(ctx, d.base)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("discovery: names under %s: %w", d.base, err)
	}
	sort.Strings(names)
	return names, nil
}

// Instances returns the instances of service name, sorted by id
// (Curator's queryForInstances), disabled ones included. A record that
// cannot be read is skipped and logged; one deleted while listing is
// skipped. No such service means none.
func (d *Discovery) Instances(ctx context.Context, name string) ([]Instance, error) {
	dir := zkpath.Join(d.base, name)
	ids, _, err := d.c.Children(ctx, dir)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("discovery: instances of %s: %w", name, err)
	}
	slices.Sort(ids)
	out := make([]Instance, 0, len(ids))
	for _, id := range ids {
		in, err := d.Instance(ctx, name, id)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			continue
		case errors.Is(err, ErrCorrupt):
			d.c.Logger().Warn("discovery: skipping unreadable instance", "path", zkpath.Join(dir, id), "err", err)
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// Instance returns one instance (Curator's queryForInstance). A missing
// one is an error wrapping zk.ErrNoNode.
func (d *Discovery) Instance(ctx context.Context, name, id string) (Instance, error) {
	p := d.InstancePath(name, id)
	data, _, err := d.c.Get(ctx, p)
	if err != nil {
		return Instance{}, fmt.Errorf("discovery: instance %s: %w", p, err)
	}
	in, err := Unmarshal(data)
	if err != nil {
		return Instance{}, fmt.Errorf("discovery: instance %s: %w", p, err)
	}
	return in, nil
}
