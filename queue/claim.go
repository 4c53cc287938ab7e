package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

type claimOp struct {
	ctx context.Context
	s   *zkrecipes.Session
	cd  cand
}

// claimOps are the operations that claim one message: our ephemeral claim,
// and a child of the message created and deleted again. The latter bumps
// the message's child version by two per delivery: a durable delivery
// counter that survives the crash of the consumer (the claim does not)
// without rewriting the message. They fail if another consumer holds the
// claim (NodeExists on the first) or the message is gone (NoNode on the
// second).
func (q *Queue) claimOps(id msgID) []any {
	item := q.l.item(id)
	return []any{
		&zk.CreateRequest{Path: q.l.claim(id), Flags: zk.FlagEphemeral},
		&zk.CreateRequest{Path: item + "/" + deliveryNode},
		&zk.DeleteRequest{Path: item + "/" + deliveryNode, Version: -1},
	}
}

// claimMany is the batcher's send for claims: one transaction per session
// for every claim queued. A claim that fails the transaction (taken or
// gone) is answered and the rest sent again.
func (q *Queue) claimMany(batch []*op[claimOp]) {
	for len(batch) > 0 {
		s := batch[0].v.s
		var mine, rest []*op[claimOp]
		for _, o := range batch {
			if o.v.s == s {
				mine = append(mine, o)
			} else {
				rest = append(rest, o)
			}
		}
		q.claimIn(s, mine)
		batch = rest
	}
}

func (q *Queue) claimIn(s *zkrecipes.Session, batch []*op[claimOp]) {
	ctx := batch[0].v.ctx // a detached context (see detach)
	for len(batch) > 0 {
		reqs := make([]any, 0, 3*len(batch))
		for _, o := range batch {
			reqs = append(reqs, q.claimOps(o.v.cd.id)...)
		}
		dbg.claimBatches.Add(1); dbg.claimOps.Add(int64(len(batch)))
		res, err := s.Multi(ctx, reqs...)
		if err != nil && ambiguous(err) && s.Err() == nil && ctx.Err() == nil {
			// Lost reply: the transaction applied iff the first claim is ours.
			ok, st, eerr := s.Exists(ctx, q.l.claim(batch[0].v.cd.id))
			switch {
			case eerr != nil:
				err = eerr
			case ok && st.EphemeralOwner == s.ID():
				err = nil
			default:
				continue // not applied: send it again
			}
		}
		if err == nil {
			return // every op's err stays nil: claimed
		}
		i := failedOp(res)
		if i < 0 || !(errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoNode)) {
			for _, o := range batch {
				o.err = err
			}
			return
		}
		culprit := batch[i/3]
		switch {
		case i%3 == 0 && errors.Is(err, zk.ErrNodeExists):
			culprit.err = errTaken; dbg.taken.Add(1)
		case i%3 == 0: // NoNode: the claims directory is gone, so is the queue
			q.ensured.Store(false)
			culprit.err = fmt.Errorf("queue: claim %s: %w", culprit.v.cd.id, err)
		default:
			culprit.err = errGone; dbg.gone.Add(1)
		}
		batch = append(batch[:i/3:i/3], batch[i/3+1:]...)
	}
}
