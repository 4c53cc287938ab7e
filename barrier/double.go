package barrier

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	err  error // invalid construction, reported by every method

	turn chan struct{} // one Enter or Leave at a time

	// Set by a successful Enter, cleared by Leave.
	entered bool
	sess    *zkrecipes.Session
	node    string // our member node
	order   uint32 // our node's zkpath.Node.Order
	cutoff  uint32 // the round record that admitted us
}

// NewDouble returns a member of the double barrier at path for members
// participants. It does no I/O. members <= 0 is reported, wrapping
// [zkrecipes.ErrInvalidArgument], by every method; a bad path by the first
// I/O.
func NewDouble(c *zkrecipes.Client, path string, members int, opts ...Option) *Double {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	d := &Double{c: c, path: path, n: members, o: o, turn: make(chan struct{}, 1)}
	if members <= 0 {
		d.err = invalidMembers(members)
	}
	return d
}

// Path returns the barrier node's path.
func (d *Double) Path() string { return d.path }

// Members returns the number of participants the barrier waits for.
func (d *Double) Members() int { return d.n }

func (d *Double) lock(ctx context.Context) error {
	if d.err != nil {
		return d.err
	}
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
	cutoff, err := d.enterWait(ctx, s, me)
	if err != nil {
		d.abandon(ctx, s, node)
		return fmt.Errorf("barrier: enter %s: %w", d.path, err)
	}
	d.entered, d.sess, d.node, d.order, d.cutoff = true, s, node, me.Order(), cutoff
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

func (d *Double) enterWait(ctx context.Context, s *zkrecipes.Session, me zkpath.Node) (uint32, error) {
	list := true // after a record change, read the record alone first
	for {
		susp := s.Suspended()
		v, err := look(ctx, s, d.path, list)
		if err != nil {
			return 0, err
		}
		if v.gone {
			return 0, d.gone(s)
		}
		if v.rec.admits(me.Order()) {
			if v.rec.left { // our round is over, so our node is gone
				return 0, d.gone(s)
			}
			return v.rec.cutoff, nil
		}
		if !list {
			list = true
			continue
		}
		if !contains(v.members, me.Name) {
			return 0, d.gone(s)
		}
		switch d.decide(v, me.Order()) {
		case stepWrite:
			// The version check makes this the one record of the round:
			// a member that wrote first, or a stale view, loses with
			// BadVersion and looks again. Our own order as the cutoff is
			// unique to us, so a retried Set recognises its own write.
			rec := record{ok: true, cutoff: me.Order()}
			_, err := s.Set(ctx, d.path, rec.encode(), v.version)
			if err == nil {
				return rec.cutoff, nil
			}
			if !errors.Is(err, zk.ErrBadVersion) {
				return 0, err
			}
		case stepFull:
			// The pipelined reads may have been answered out of order;
			// refuse only on a listing taken after the record.
			v, err := lookInOrder(ctx, s, d.path)
			if err != nil {
				return 0, err
			}
			if !v.gone && !v.rec.admits(me.Order()) && d.decide(v, me.Order()) == stepFull {
				return 0, ErrTooManyMembers
			}
		case stepWait:
			select {
			case <-v.watch: // the record changed: most likely it admits us
				list = false
			case <-susp: // reconnecting can lose events: look again (see view)
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-s.Done():
				return 0, s.Err()
			}
		}
	}
}

// Leave removes us from the barrier and blocks until every member of our
// round has left (or vanished with its session), ctx is done, or our
// session is lost. Our node is deleted first, whatever happens; on failure
// Leave returns the cause, and the Double may Enter again.
func (d *Double) Leave(ctx context.Context) error {
	if err := d.lock(ctx); err != nil {
		return err
	}
	defer d.unlock()
	if !d.entered {
		return ErrNotEntered
	}
	d.entered = false
	s := d.sess
	if err := d.deleteNode(ctx, s, d.node); err != nil {
		d.abandon(ctx, s, d.node)
		return fmt.Errorf("barrier: leave %s: %w", d.path, err)
	}
	if err := d.leaveWait(ctx, s); err != nil {
		return fmt.Errorf("barrier: leave %s: %w", d.path, err)
	}
	return nil
}

func (d *Double) leaveWait(ctx context.Context, s *zkrecipes.Session) error {
	for {
		susp := s.Suspended()
		v, err := look(ctx, s, d.path, true)
		if err != nil {
			return err
		}
		if v.gone || v.rec.ok && (v.rec.cutoff > d.cutoff || v.rec.cutoff == d.cutoff && v.rec.left) {
			return nil // the round is over: see the package doc
		}
		var rest []zkpath.Node
		for _, m := range v.members {
			if m.Order() <= d.cutoff && m.Order() != d.order {
				rest = append(rest, m)
			}
		}
		if len(rest) == 0 {
			rec := record{ok: true, cutoff: d.cutoff, left: true}
			_, err := s.Set(ctx, d.path, rec.encode(), v.version)
			if err == nil || errors.Is(err, zk.ErrNoNode) {
				return nil
			}
			if !errors.Is(err, zk.ErrBadVersion) {
				return err
			}
			continue // someone else closed the round, or a new one began
		}
		// Also watch one member that is still inside, so that a member
		// which vanishes with its session (and so writes no record) still
		// wakes us. Each waiter watches its nearest predecessor, so a
		// departure wakes one or two waiters, not all of them.
		_, _, mw, err := s.GetW(ctx, zkpath.Join(d.path, pick(rest, d.order).Name))
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return err
		}
		select {
		case ev := <-v.watch:
			// Only the round's last leaver ("left") or a new round (which
			// forms only once our round's members are gone) changes the
			// record after it admitted us; deletion means nobody is left.
			if ev.Type == zk.EventNodeDataChanged || ev.Type == zk.EventNodeDeleted {
				return nil
			}
		case <-mw:
		case <-susp: // reconnecting can lose events: look again (see view)
		case <-ctx.Done():
			return ctx.Err()
		case <-s.Done():
			return s.Err()
		}
	}
}

// pick returns the member just below order, or the highest if none is.
func pick(rest []zkpath.Node, order uint32) zkpath.Node {
	best := rest[len(rest)-1]
	for _, m := range rest {
		if m.Order() < order {
			best = m
		}
	}
	return best
}

func (d *Double) gone(s *zkrecipes.Session) error {
	if err := s.Err(); err != nil {
		return err
	}
	return ErrNodeGone
}

// deleteNode deletes our member node on a context detached from ctx, so
// that a cancelled caller still leaves nothing behind. A node already gone
// (with its session, or deleted by someone else) counts as deleted.
func (d *Double) deleteNode(ctx context.Context, s *zkrecipes.Session, node string) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Timeout()+time.Second)
	defer cancel()
	err := s.Delete(dctx, node, -1)
	if err == nil || errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if s.Err() != nil {
		return s.Err() // the node went with the session
	}
	return err
}

// abandon removes our node after a failed Enter or Leave: at once while
// connected, else on a client-owned goroutine for as long as the session
// lives (after that the server removes the node anyway).
func (d *Double) abandon(ctx context.Context, s *zkrecipes.Session, node string) {
	if s.Err() != nil {
		return
	}
	if s.Connected() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		err := s.Delete(dctx, node, -1)
		cancel()
		if err == nil || errors.Is(err, zk.ErrNoNode) || s.Err() != nil {
			return
		}
	}
	d.c.Go(func(life context.Context) {
		dctx, cancel := context.WithTimeout(life, 2*s.Timeout()+time.Second)
		defer cancel()
		_ = s.Delete(dctx, node, -1)
	})
}
