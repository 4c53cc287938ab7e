package group

import (
	"context"
	"fmt"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/internal/roster"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
	"github.com/zkrecipes/zkrecipes/node"
)

// Group is a group of processes under one node: each member keeps an
// ephemeral child named by its id, and anyone can follow who is in.
// A Group holds only its configuration and is safe for concurrent use.
type Group struct {
	c    *zkrecipes.Client
	path string
	o    options
}

// Member is one member as observers see it.
type Member struct {
	ID      string    // the member's node name
	Data    []byte    // its data; do not modify
	Session int64     // the session that keeps it (0 for a persistent node)
	Joined  time.Time // when its node was created
}

// New returns the group at path. It does no I/O. An invalid path or
// option is an error (wrapping zkrecipes.ErrInvalidPath or
// zkrecipes.ErrInvalidArgument); a nil c panics.
func New(c *zkrecipes.Client, path string, opts ...Option) (*Group, error) {
	var o options
	if err := misuse.Construct("group", "New", c, path, &o, &o.Errs, opts); err != nil {
		return nil, err
	}
	return &Group{c: c, path: path, o: o}, nil
}

// Path returns the group's path, relative to the namespace.
func (g *Group) Path() string { return g.path }

// Membership is this process's membership of a group: a [node.Node] kept
// in place until Leave.
type Membership struct {
	n *node.Node
}

// Join makes this process a member with id and data, and returns once its
// node exists. The node is kept in place (created again after a session
// loss or a deletion) until [Membership.Leave]. Another live process
// with the same id is never displaced: Join fails with an error matching
// node.ErrConflict after the conflict wait (see [WithConflictWait]). An id
// that is not a znode name is an error wrapping
// zkrecipes.ErrInvalidArgument. On failure nothing is left behind.
func (g *Group) Join(ctx context.Context, id string, data []byte) (*Membership, error) {
	p := zkpath.Join(g.path, id)
	if zkpath.Base(p) != id || zkpath.Parent(p) != g.path {
		return nil, fmt.Errorf("group: join %s: id %q is not a node name: %w", g.path, id, zkrecipes.ErrInvalidArgument)
	}
	n, err := node.New(g.c, p, data, g.o.Node()...)
	if err != nil {
		return nil, fmt.Errorf("group: join: %w", err)
	}
	n.Start()
	if err := n.WaitCreated(ctx); err != nil {
		_ = n.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("group: join %s: %w", p, err)
	}
	return &Membership{n: n}, nil
}

// Path returns the member's node path, relative to the namespace.
func (m *Membership) Path() string { return m.n.Path() }

// SetData changes the member's data, as seen by observers (an Updated
// change) and kept across re-creations (see [node.Node.SetData]).
func (m *Membership) SetData(ctx context.Context, data []byte) error { return m.n.SetData(ctx, data) }

// Leave ends the membership and deletes the member's node (see
// [node.Node.Close]). Leave is idempotent.
func (m *Membership) Leave(ctx context.Context) error { return m.n.Close(ctx) }

// Change is one change of a View: a member joined (Kind Joined, New),
// left (Left, Old: it left, its session ended or its node was deleted) or
// changed its data (Updated, Old and New).
type Change = roster.Change[Member]

// Changes is a subscription to a View's changes: Next returns them in
// order from an unbounded queue; Close ends it.
type Changes = roster.Changes[Member]

// Change kinds.
const (
	Joined  = roster.Joined
	Left    = roster.Left
	Updated = roster.Updated
)

// View is the live member list of a group, kept by a children cache
// (package cache) and read without I/O. A View is safe for concurrent use.
type View struct {
	r *roster.Roster[Member]
}

// Watch loads the members and follows them until the View's Close. It
// returns once the initial load is complete, or with ctx's error,
// leaving nothing running.
func (g *Group) Watch(ctx context.Context) (*View, error) {
	r, err := roster.Start(ctx, g.c, g.path, func(name string, e *cache.Entry) (Member, error) {
		return Member{ID: name, Data: e.Data, Session: e.Stat.EphemeralOwner, Joined: time.UnixMilli(e.Stat.Ctime)}, nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("group: watch %s: %w", g.path, err)
	}
	return &View{r: r}, nil
}

// Members returns the members, sorted by id. The slice is shared: do not
// modify it; it is the same slice until the members change.
func (v *View) Members() []Member { return v.r.List() }

// Subscribe starts a subscription to the changes after this call;
// Members after a change's Next reflects at least that change.
func (v *View) Subscribe() *Changes { return v.r.Subscribe() }

// Stale reports whether the view may miss changes (the connection is
// suspended, or the view is catching up after it), and since when.
func (v *View) Stale() (bool, time.Time) { return v.r.Stale() }

// Close stops following the members. Close is idempotent.
func (v *View) Close() { v.r.Close() }
