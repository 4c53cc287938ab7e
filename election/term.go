package election

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/contend"
	"github.com/zkrecipes/zkrecipes/internal/observe"
	"github.com/zkrecipes/zkrecipes/internal/seam"
)

// Term is one leadership of one participant: it starts when Campaign
// returns and ends at Resign or when leadership is lost. A Term is safe
// for concurrent use.
type Term struct {
	e      *Election
	ent    *contend.Entry
	ctx    context.Context
	cancel context.CancelCauseFunc
	susp   <-chan struct{} // the session's suspension channel at the start
	stop   func()          // ends contend's loss watcher; called once, in end
	obs    *observe.Term   // nil without an Observer

	endOnce    sync.Once
	resignOnce sync.Once
}

func newTerm(e *Election, ent *contend.Entry) *Term {
	ctx, cancel := context.WithCancelCause(context.Background())
	t := &Term{e: e, ent: ent, ctx: ctx, cancel: cancel, obs: observe.StartTerm(e.c, e.path, e.o.id)}
	// Taken before contend's watcher takes its own, so lostCause can tell a
	// suspension apart from the other ways of losing.
	t.susp = ent.Session.Suspended()
	lost, stop := ent.Lost(e.o.suspendedIsLost, nil)
	t.stop = stop
	started := seam.Go(e.c, func(context.Context) {
		<-lost // also closed by stop (Resign) and on client close
		if t.ctx.Err() == nil {
			cause := t.lostCause()
			e.c.Logger().Warn("election: leadership lost", "path", e.path, "id", e.o.id, "cause", cause)
			t.end(cause)
		}
	})
	if !started {
		t.end(fmt.Errorf("%w: %w", ErrLeadershipLost, zkrecipes.ErrClosed))
	}
	return t
}

// check reports why a just-won term is not live, or nil.
func (t *Term) check() error {
	if t.ctx.Err() != nil {
		return context.Cause(t.ctx)
	}
	if err := t.ent.Session.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrLeadershipLost, err)
	}
	if t.e.o.suspendedIsLost && !t.ent.Session.Connected() {
		return fmt.Errorf("%w: connection suspended", ErrLeadershipLost)
	}
	return nil
}

func (t *Term) lostCause() error {
	if err := t.ent.Session.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrLeadershipLost, err)
	}
	if t.e.o.suspendedIsLost {
		select {
		case <-t.susp:
			return fmt.Errorf("%w: connection suspended", ErrLeadershipLost)
		default:
		}
	}
	return fmt.Errorf("%w: %w: %s", ErrLeadershipLost, ErrNodeDeleted, t.ent.Path)
}

// end cancels the term's context with cause; the first call wins.
func (t *Term) end(cause error) {
	t.endOnce.Do(func() {
		t.stop()
		t.cancel(cause)
		t.obs.End(!errors.Is(cause, ErrResigned) && !errors.Is(cause, zkrecipes.ErrClosed))
	})
}

// Context returns a context that is cancelled when the term ends: at
// Resign, when the session is lost or the client closed, when the
// connection is suspended (under the default policy), or when the term's
// node is deleted by someone else. [context.Cause] tells which: ErrResigned
// or an error wrapping ErrLeadershipLost (and ErrNodeDeleted in the last
// case). It is not derived from the
// context given to Campaign.
func (t *Term) Context() context.Context { return t.ctx }

// Done returns a channel closed when the term ends; see [Term.Context].
func (t *Term) Done() <-chan struct{} { return t.ctx.Done() }

// Token returns the term's fencing token: the creation zxid of its node.
// It is larger than the token of every earlier term at the same path
// (leaders are elected in node order, nodes are created in zxid order, and
// zxids never repeat, even when the election path is reaped and created
// again). Pass it to external resources that must reject a deposed leader
// which still acts, e.g. after a long pause.
func (t *Term) Token() int64 { return t.ent.Token() }

// Node returns the path of the term's node, relative to the namespace.
func (t *Term) Node() string { return t.ent.Path }

// Resign ends the term, cancelling its context before any I/O, and deletes
// its node so that the next participant is elected. Call it after every
// term, also after the term was lost: when a suspension ended the term but
// the session survived, the node still heads the election until Resign
// deletes it (or the session ends). Resign returns once the node is gone
// (a node gone with its session counts), or with ctx's error, in which case
// a client-owned goroutine keeps deleting it while the session lives. While
// the connection is suspended (a partitioned leader), Resign does not wait
// for it: it hands the delete to that goroutine, which deletes the node
// once reconnected (or the session's end removes it), and returns nil at
// once, as lock.Mutex.Unlock does. Calls after the first return nil at once.
func (t *Term) Resign(ctx context.Context) error {
	t.end(ErrResigned)
	var err error
	t.resignOnce.Do(func() {
		defer t.e.busy.Store(false)
		if err = t.ent.Release(ctx); err != nil {
			err = fmt.Errorf("election: resign %s: %w", t.ent.Path, err)
		}
	})
	return err
}
