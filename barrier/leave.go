package barrier

import (
	"context"
	"errors"
	"fmt"
	"github.com/zkrecipes/zkrecipes/internal/seam"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/cleanup"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

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
	// On a context detached from ctx, so that a cancelled caller still
	// leaves nothing behind; riding out a short disconnect.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanup.Horizon(s.Timeout()))
	err := cleanup.Delete(dctx, s, d.node)
	cancel()
	if err != nil {
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
		switch {
		case v.gone, v.czxid != d.czxid:
			return nil // the barrier node was removed (and made again): all left
		case v.rec.ok && (v.rec.cutoff > d.cutoff || v.rec.cutoff == d.cutoff && v.rec.left):
			return nil // the round is over: see the package doc
		}
		var rest []zkpath.Node
		for _, m := range v.members {
			if m.Order() <= d.cutoff && m.Order() != d.order {
				rest = append(rest, m)
			}
		}
		if len(rest) == 0 {
			rec := record{ok: true, cutoff: d.cutoff, left: true, n: d.n}
			_, err := s.Set(ctx, d.path, rec.encode(), v.version)
			if err == nil || errors.Is(err, zk.ErrNoNode) {
				return nil
			}
			if !errors.Is(err, zk.ErrBadVersion) && !errors.Is(err, zkrecipes.ErrUncertain) {
				return err
			}
			continue // someone closed the round, or a new one began: look
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
	return ErrNodeDeleted
}

// abandon removes our node after a failed Enter or Leave (see
// cleanup.Abandon).
func (d *Double) abandon(ctx context.Context, s *zkrecipes.Session, node string) {
	cleanup.Abandon(ctx, seam.Spawner(d.c), s, node)
}
