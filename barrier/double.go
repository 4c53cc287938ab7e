package barrier

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Double is one member of a double barrier: [Double.Enter] returns once
// the barrier's members have all entered, [Double.Leave] once they have
// all left. See the package documentation for the protocol and what
// members see when one of them crashes.
//
// A Double is one member; its methods may be called from several
// goroutines, but they run one at a time. After Leave it may Enter again.
type Double struct {
	c    *zkrecipes.Client
	path string
	n    int
	o    options

	turn chan struct{} // one Enter or Leave at a time

	// Set by a successful Enter, cleared by Leave.
	entered bool
	sess    *zkrecipes.Session
	node    string // our member node
	order   uint32 // our node's zkpath.Node.Order
	cutoff  uint32 // the round record that admitted us
	czxid   int64  // creation of the barrier node we entered
}

// NewDouble returns a member of the double barrier at path for members
// participants. It does no I/O. An invalid path or option is an error (as
// for New); a nil c or members < 1 panics (programmer errors).
func NewDouble(c *zkrecipes.Client, path string, members int, opts ...Option) (*Double, error) {
	if members < 1 {
		panic(fmt.Sprintf("barrier: NewDouble: members must be at least 1, got %d", members))
	}
	o, err := construct("NewDouble", c, path, opts)
	if err != nil {
		return nil, err
	}
	return &Double{c: c, path: path, n: members, o: o, turn: make(chan struct{}, 1)}, nil
}

// Path returns the barrier node's path, relative to the namespace.
func (d *Double) Path() string { return d.path }

// Members returns the number of participants the barrier waits for.
func (d *Double) Members() int { return d.n }

func (d *Double) lock(ctx context.Context) error {
	select {
	case d.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Double) unlock() { <-d.turn }

// Enter adds us as a member and blocks until the barrier's members have
// all entered, ctx is done, or the session is lost. It fails with
// [ErrTooManyMembers] when the barrier is already full. On failure it
// returns the cause and leaves no node behind.
func (d *Double) Enter(ctx context.Context) error {
	if err := d.lock(ctx); err != nil {
		return err
	}
	defer d.unlock()
	if d.entered {
		return ErrAlreadyEntered
	}
	s, err := d.c.WaitSession(ctx)
	if err != nil {
		return fmt.Errorf("barrier: enter %s: %w", d.path, err)
	}
	node, err := s.Create(ctx, zkpath.Join(d.path, MemberPrefix), d.o.data, zkrecipes.EphemeralSequential, d.o.createOpts()...)
	if err != nil {
		return fmt.Errorf("barrier: enter %s: %w", d.path, err)
	}
	me, ok := zkpath.ParseSeq(zkpath.Base(node), MemberPrefix)
	if !ok {
		d.abandon(ctx, s, node)
		return fmt.Errorf("barrier: enter %s: unexpected member node name %q", d.path, node)
	}
	v, err := d.enterWait(ctx, s, me)
	if err != nil {
		d.abandon(ctx, s, node)
		return fmt.Errorf("barrier: enter %s: %w", d.path, err)
	}
	d.entered, d.sess, d.node, d.order = true, s, node, me.Order()
	d.cutoff, d.czxid = v.rec.cutoff, v.czxid
	return nil
}

type step int

const (
	stepWait  step = iota // fewer than members have arrived
	stepWrite             // we complete the round: write the record
	stepFull              // too many members
)

// decide says what a member that the record does not admit does next.
func (d *Double) decide(v view, me uint32) step {
	r := v.rec
	if r.ok && atMost(v.members, r.cutoff) {
		return stepFull // a round is under way: its members have not all left
	}
	switch ahead := count(v.members, r.ok, r.cutoff, me); {
	case ahead >= d.n:
		return stepFull
	case ahead == d.n-1:
		return stepWrite
	}
	return stepWait
}

// atMost reports whether some member has an order <= cutoff.
func atMost(members []zkpath.Node, cutoff uint32) bool {
	return len(members) > 0 && members[0].Order() <= cutoff
}

// enterWait returns the view whose record admits us.
func (d *Double) enterWait(ctx context.Context, s *zkrecipes.Session, me zkpath.Node) (view, error) {
	list := true   // after a record change, read the record alone first
	var next *view // a view already taken in order, to act on first
	for {
		susp := s.Suspended()
		var v view
		var err error
		if next != nil {
			v, next = *next, nil
		} else {
			v, err = look(ctx, s, d.path, list)
		}
		switch {
		case err != nil:
			return v, err
		case v.gone:
			return v, d.gone(s)
		case v.rec.admits(me.Order()) && v.rec.left: // our round is over, so our node is gone
			return v, d.gone(s)
		case v.rec.admits(me.Order()) && v.rec.n != d.n:
			return v, fmt.Errorf("%w: the round was completed by a member of %d, we have %d", ErrMembersMismatch, v.rec.n, d.n)
		case v.rec.admits(me.Order()):
			return v, nil
		case !list:
			list = true
			continue
		case !contains(v.members, me.Name):
			return v, d.gone(s)
		}
		switch d.decide(v, me.Order()) {
		case stepWrite:
			// The version check makes this the one record of the round:
			// a member that wrote first, or a stale view, loses with
			// BadVersion and looks again. After a lost reply (uncertain)
			// we look again too: whoever's record is there now decides.
			rec := record{ok: true, cutoff: me.Order(), n: d.n}
			st, err := s.Set(ctx, d.path, rec.encode(), v.version)
			if err == nil {
				v.rec, v.version = rec, st.Version
				return v, nil
			}
			if !errors.Is(err, zk.ErrBadVersion) && !errors.Is(err, zkrecipes.ErrUncertain) {
				return v, err
			}
		case stepFull:
			// The pipelined reads may have been answered out of order;
			// refuse only on a listing taken after the record.
			o, err := lookInOrder(ctx, s, d.path)
			if err != nil {
				return v, err
			}
			if !o.gone && !o.rec.admits(me.Order()) && d.decide(o, me.Order()) == stepFull {
				return v, ErrTooManyMembers
			}
			next = &o
		case stepWait:
			select {
			case <-v.watch: // the record changed: most likely it admits us
				list = false
			case <-susp: // reconnecting can lose events: look again (see view)
			case <-ctx.Done():
				return v, ctx.Err()
			case <-s.Done():
				return v, s.Err()
			}
		}
	}
}
