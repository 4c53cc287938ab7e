package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// ackOp is one Ack for the batcher, with the caller's (detached) context.
type ackOp struct {
	ctx context.Context
	m   *Message
}

// ackTxOps is the number of operations per Ack in a transaction: delete
// the claim, delete the message.
const ackTxOps = 2

// ackMany is the batcher's send for acknowledgements: one transaction per
// session (a claim can only be deleted in the session that holds it)
// deletes the claims and messages of every Ack queued. A message that
// fails the transaction, and every message after a lost reply, is then
// acknowledged alone.
func (q *Queue) ackMany(batch []*op[ackOp]) {
	bySession(batch, func(a ackOp) *zkrecipes.Session { return a.m.s }, q.ackIn)
}

// ackIn acknowledges batch, all in session s, in one transaction of
// ackTxOps operations per Ack: operation i belongs to batch[i/ackTxOps].
// An Ack whose message or claim is gone is settled alone and the rest
// sent again; after a lost reply each is settled alone (ack tells whether
// it landed).
func (q *Queue) ackIn(s *zkrecipes.Session, batch []*op[ackOp]) {
	ctx := batch[0].v.ctx
	for len(batch) > 0 {
		if len(batch) == 1 {
			batch[0].err = batch[0].v.m.ack(ctx)
			return
		}
		reqs := make([]any, 0, ackTxOps*len(batch))
		for _, o := range batch {
			reqs = append(reqs, &zk.DeleteRequest{Path: q.l.claim(o.v.m.id), Version: -1}, &zk.DeleteRequest{Path: q.l.item(o.v.m.id), Version: -1})
		}
		res, err := s.Multi(ctx, reqs...)
		i := failedOp(res)
		switch {
		case err == nil:
			return
		case i >= 0 && errors.Is(err, zk.ErrNoNode):
			k := i / ackTxOps
			batch[k].err = batch[k].v.m.ack(ctx)
			batch = append(batch[:k:k], batch[k+1:]...)
		case s.Err() != nil:
			for _, o := range batch {
				o.err = o.v.m.ackOutcome(ctx, err)
			}
			return
		default: // lost reply, or an unexpected error: settle each on its own
			for _, o := range batch {
				o.err = o.v.m.ack(ctx)
			}
			return
		}
	}
}

// ack deletes our claim and the message in one transaction, in the session
// that holds the claim: while that session lives, nobody else can hold it.
func (m *Message) ack(ctx context.Context) error {
	item, claim := m.q.l.item(m.id), m.q.l.claim(m.id)
	for {
		res, err := m.s.Multi(ctx, &zk.DeleteRequest{Path: claim, Version: -1}, &zk.DeleteRequest{Path: item, Version: -1})
		if err == nil {
			return nil
		}
		if m.lostErr(err) != nil {
			return m.ackOutcome(ctx, err)
		}
		if ambiguous(err) && ctx.Err() == nil {
			// Lost reply: applied iff the message is gone (we still hold the
			// claim, so nobody else could have removed it but Remove).
			eerr := catchUp(ctx, m.s, item)
			var ok bool
			if eerr == nil {
				ok, _, eerr = m.s.Exists(ctx, item)
			}
			if eerr != nil && m.lostErr(eerr) != nil {
				return m.ackOutcome(ctx, err)
			}
			if eerr != nil {
				return eerr
			}
			if !ok {
				return nil
			}
			continue
		}
		if errors.Is(err, zk.ErrNoNode) {
			if failedOp(res) == 1 { // removed with Remove while we held it
				_ = m.drop(ctx)
				return nil
			}
			if ok, _, eerr := m.s.Exists(ctx, item); eerr == nil && !ok {
				return nil
			}
			return fmt.Errorf("%w: claim deleted by someone else", ErrClaimLost)
		}
		return err
	}
}

// ackOutcome settles an Ack whose claim's session ended (before or after
// the transaction was sent, err): the transaction deletes the message, a
// persistent node, so the message's absence says it landed (nil) and its
// presence that it did not (ErrClaimLost: it will be delivered again). If
// that cannot be read, the outcome is unknown: zkrecipes.ErrUncertain.
func (m *Message) ackOutcome(ctx context.Context, err error) error {
	ok, eerr := m.q.exists(ctx, m.q.l.item(m.id))
	switch {
	case eerr != nil:
		return fmt.Errorf("%w: %w (after %w)", zkrecipes.ErrUncertain, eerr, err)
	case ok:
		return fmt.Errorf("%w: %w", ErrClaimLost, err)
	default:
		return nil
	}
}
