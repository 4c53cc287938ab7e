package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// claimOp is one claim for the batcher; version is set on success for an
// inline message: the message's data version, its delivery count.
type claimOp struct {
	ctx     context.Context
	s       *zkrecipes.Session
	cd      cand
	version int32
}

// claimOps are the operations that claim one message: our ephemeral claim,
// then a write to the message that counts the delivery durably (the
// claim dies with a crashed consumer, the count must not). A message whose
// data is in its name gets its empty data rewritten, which bumps its data
// version and returns the stat: its delivery count, with no read. Any
// other message gets a child created and deleted, which bumps its child
// version by two per delivery (read back with its data). The operations
// fail if another consumer holds the claim (NodeExists on the first) or
// the message is gone (NoNode on the next). The claim's data is the
// transaction's nonce: after a lost reply it tells our claim from an
// earlier one of the same session.
func (q *Queue) claimOps(cd cand, nonce []byte) []any {
	item := q.l.item(cd.id)
	claim := &zk.CreateRequest{Path: q.l.claim(cd.id), Data: nonce, Flags: zk.FlagEphemeral, Acl: q.o.acl}
	if cd.inline {
		return []any{claim, &zk.SetDataRequest{Path: item, Version: -1}}
	}
	return []any{claim,
		&zk.CreateRequest{Path: item + "/" + deliveryNode, Acl: q.o.acl},
		&zk.DeleteRequest{Path: item + "/" + deliveryNode, Version: -1}}
}

// claimMany is the batcher's send for claims: one transaction per session
// (a claim is an ephemeral node of the taker's session) for every claim
// queued. A claim that fails the transaction (taken or
// gone) is answered and the rest sent again.
func (q *Queue) claimMany(batch []*op[claimOp]) {
	bySession(batch, func(c claimOp) *zkrecipes.Session { return c.s }, q.claimIn)
}

func (q *Queue) claimIn(s *zkrecipes.Session, batch []*op[claimOp]) {
	ctx := batch[0].v.ctx // a detached context (see detach)
	rest := q.claimTx(ctx, s, batch)
	if len(rest) == 0 {
		return
	}
	// A claim failed because the listing it came from was stale; so may
	// others. Claim the rest one by one, concurrently (pipelined): each
	// stale one then costs one request, not a resend of all the others.
	var wg sync.WaitGroup
	for _, o := range rest {
		wg.Go(func() { q.claimTx(ctx, s, []*op[claimOp]{o}) })
	}
	wg.Wait()
}

// claimTx claims batch in one transaction. It answers every op (nil err:
// claimed) and returns nil, or, if one claim made the transaction fail
// (taken or gone), answers that one and returns the others, unanswered.
func (q *Queue) claimTx(ctx context.Context, s *zkrecipes.Session, batch []*op[claimOp]) []*op[claimOp] {
	var reqs []any
	nonce := []byte(strconv.FormatUint(zkpath.Nonce(), 16))
	first := make([]int, len(batch)) // index of each claim's first operation
	for i, o := range batch {
		first[i] = len(reqs)
		reqs = append(reqs, q.claimOps(o.v.cd, nonce)...)
	}
	for {
		res, err := s.Multi(ctx, reqs...)
		if err != nil && ambiguous(err) && s.Err() == nil && ctx.Err() == nil {
			// Lost reply: the transaction applied iff its claims carry its
			// nonce. An owner check would not do: the claim may be an
			// earlier one of this session.
			applied, eerr := q.claimedWith(ctx, s, batch, nonce)
			switch {
			case eerr != nil:
				err = eerr
			case applied:
				q.countLost(ctx, s, batch)
				return nil
			default:
				continue // not applied: send it again
			}
		}
		if err == nil {
			for i, o := range batch {
				if o.v.cd.inline {
					o.v.version = res[first[i]+1].Stat.Version
				}
			}
			return nil
		}
		i := failedOp(res)
		if i < 0 || !(errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoNode)) {
			for _, o := range batch {
				o.err = err
			}
			return nil
		}
		k := len(first) - 1
		for first[k] > i {
			k--
		}
		culprit := batch[k]
		switch {
		case i == first[k] && errors.Is(err, zk.ErrNodeExists):
			culprit.err = errTaken
		case i == first[k]: // NoNode: the claims directory is gone, so is the queue
			q.ensured.Store(false)
			culprit.err = fmt.Errorf("queue: claim %s: %w", culprit.v.cd.id, err)
		default:
			culprit.err = errGone
		}
		return append(batch[:k:k], batch[k+1:]...)
	}
}

// claimedWith reports whether every claim of batch holds nonce: the
// transaction that wrote them applied (it is atomic: all or none).
func (q *Queue) claimedWith(ctx context.Context, s *zkrecipes.Session, batch []*op[claimOp], nonce []byte) (bool, error) {
	if err := catchUp(ctx, s, q.l.claims); err != nil {
		return false, err
	}
	for _, o := range batch {
		data, _, err := s.Get(ctx, q.l.claim(o.v.cd.id))
		if errors.Is(err, zk.ErrNoNode) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !bytes.Equal(data, nonce) {
			return false, nil
		}
	}
	return true, nil
}

// countLost reads the delivery counts of inline messages claimed by a
// transaction whose reply was lost.
func (q *Queue) countLost(ctx context.Context, s *zkrecipes.Session, batch []*op[claimOp]) {
	for _, o := range batch {
		if !o.v.cd.inline {
			continue
		}
		// On a read error the count stays unknown (0); the claim is ours.
		if _, st, err := s.Exists(ctx, q.l.item(o.v.cd.id)); err == nil && st != nil {
			o.v.version = st.Version
		}
	}
}
