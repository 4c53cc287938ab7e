package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/observe"
)

// Outcomes of one attempt to claim a candidate that are not errors of the
// take: the taker moves on to the next candidate.
var (
	errTaken = errors.New("taken by another consumer")
	errGone  = errors.New("message gone")
	errMoved = errors.New("moved to the dead-letter queue")
)

// Take blocks until it holds a message, ctx is done, or the client is
// closed. The message is claimed by the client's current session: no other
// consumer gets it until it is acknowledged (Ack: removed), returned (Nack)
// or the session ends (then it is delivered again: at-least-once). Waiting
// costs no polling: Take waits on watches, and a put wakes it. A session
// lost while waiting is not an error: Take goes on in the next session. If
// ctx is done while a claim is in flight, Take returns ctx's error and
// releases the claim once it lands: nothing is left claimed.
//
// In at-most-once mode (WithAtMostOnce) Take removes the message instead
// of claiming it.
func (q *Queue) Take(ctx context.Context) (*Message, error) {
	return q.take(ctx, false)
}

// Poll is Take that does not wait: it returns ErrEmpty if no message can be
// taken at once (none, or all delayed or held by consumers).
func (q *Queue) Poll(ctx context.Context) (*Message, error) {
	return q.take(ctx, true)
}

func (q *Queue) take(ctx context.Context, poll bool) (*Message, error) {
	ob := observe.StartQueue(q.c, q.path)
	m, err := q.takeOne(ctx, poll)
	ob.Take(err, ErrEmpty)
	return m, err
}

func (q *Queue) takeOne(ctx context.Context, poll bool) (*Message, error) {
	q.enter()
	defer q.leave()
	for {
		// Register first: a consumer that waits gets its share of new
		// messages (see partition).
		s, err := q.register(ctx)
		var cd cand
		if err == nil {
			cd, err = q.cur.next(ctx, s, poll)
		}
		if err == nil {
			var m *Message
			if m, err = q.claim(ctx, s, cd); err == nil {
				if !m.atMostOnce {
					q.enter() // a held message keeps the consumer registered
					q.cur.hold(cd.id, s)
				}
				return m, nil
			}
			switch {
			case errors.Is(err, errTaken), errors.Is(err, errGone), errors.Is(err, errMoved):
				q.cur.done(cd.id)
				continue
			}
			q.cur.retry(cd.id)
		}
		if errors.Is(err, ErrEmpty) || ctx.Err() != nil || !transient(err) {
			return nil, fmt.Errorf("queue: take from %s: %w", q.path, err)
		}
		// The connection or session failed under us: go on once a session
		// is usable again.
		if _, werr := q.c.WaitSession(ctx); werr != nil {
			return nil, fmt.Errorf("queue: take from %s: %w", q.path, werr)
		}
	}
}

// claim makes a candidate ours, in session s.
func (q *Queue) claim(ctx context.Context, s *zkrecipes.Session, cd cand) (*Message, error) {
	if q.o.atMostOnce {
		return q.takeOnce(ctx, s, cd)
	}
	return detach(ctx, q.c,
		func(dctx context.Context) (*Message, error) { return q.delivered(dctx, s, cd) },
		func(dctx context.Context, m *Message) {
			if m.nack(dctx) == nil {
				q.cur.released(m.id)
			}
		})
}

// delivered claims cd (batched with concurrent claims of this Queue, see
// claimOps) and, unless its data is inline, reads the message.
func (q *Queue) delivered(ctx context.Context, s *zkrecipes.Session, cd cand) (*Message, error) {
	o, err := q.claims.do(claimOp{ctx: ctx, s: s, cd: cd}, q.claimMany)
	if err != nil {
		return nil, err
	}
	var m *Message
	if cd.inline {
		m = newMessage(q, s, cd, cd.data, max(1, int(o.version)))
	} else {
		data, st, err := q.read(ctx, s, cd.id)
		if err != nil {
			m := &Message{q: q, id: cd.id, s: s}
			_ = m.drop(ctx)
			if errors.Is(err, zk.ErrNoNode) { // removed between our claim and our read
				return nil, errGone
			}
			return nil, err
		}
		m = newMessage(q, s, cd, data, int(st.Cversion/2))
	}
	if q.o.maxDeliveries > 0 && m.Deliveries > q.o.maxDeliveries {
		if err := q.deadLetter(ctx, m); err != nil {
			return nil, err
		}
		return nil, errMoved
	}
	if m.Deliveries > 1 {
		observe.Redelivery(q.c, q.path, m.Deliveries)
	}
	return m, nil
}

// readAttempts bounds the reads of a claimed message's data (each attempt
// already survives retry.MaxDrops-1 connection losses).
const readAttempts = 3

// read reads the data of a message we just claimed in session s. A read
// that fails while s lives is sent again under the same claim: the claim
// has counted a delivery, and giving it up to claim the message again
// would count another that no caller saw. Only after readAttempts does the
// take give the claim up; that one counts, so that a message that cannot
// be read ends in the dead-letter queue (WithMaxDeliveries) instead of
// holding a consumer forever.
func (q *Queue) read(ctx context.Context, s *zkrecipes.Session, id msgID) ([]byte, *zk.Stat, error) {
	item := q.l.item(id)
	for i := 1; ; i++ {
		data, st, err := s.Get(ctx, item)
		if err == nil || i == readAttempts || !transient(err) || s.Err() != nil || ctx.Err() != nil {
			return data, st, err
		}
	}
}

// takeOnce removes a message in at-most-once mode. The transaction also
// creates and deletes the claim (so it fails while another consumer holds
// the message) and writes the message's id into our consumer node: after a
// lost reply, that receipt tells whether the take was ours.
func (q *Queue) takeOnce(ctx context.Context, s *zkrecipes.Session, cd cand) (*Message, error) {
	item, claim, receipt := q.l.item(cd.id), q.l.claim(cd.id), q.l.consumer(s.ID())
	data := cd.data
	if !cd.inline {
		var err error
		data, _, err = s.Get(ctx, item)
		if errors.Is(err, zk.ErrNoNode) {
			return nil, errGone
		}
		if err != nil {
			return nil, err
		}
	}
	return detach(ctx, q.c, func(dctx context.Context) (*Message, error) {
		_, err := s.Multi(dctx,
			&zk.CreateRequest{Path: claim, Flags: zk.FlagEphemeral, Acl: q.o.acl},
			&zk.DeleteRequest{Path: claim, Version: -1},
			&zk.DeleteRequest{Path: item, Version: -1},
			&zk.SetDataRequest{Path: receipt, Data: []byte(cd.id.String()), Version: -1})
		if err != nil && ambiguous(err) && s.Err() == nil && dctx.Err() == nil {
			gerr := catchUp(dctx, s, receipt)
			var got []byte
			if gerr == nil {
				got, _, gerr = s.Get(dctx, receipt)
			}
			if gerr != nil {
				return nil, gerr
			}
			if string(got) != cd.id.String() {
				return nil, errTaken
			}
			err = nil
		}
		switch {
		case errors.Is(err, zk.ErrNodeExists):
			return nil, errTaken
		case errors.Is(err, zk.ErrNoNode):
			return nil, errGone
		case err != nil:
			return nil, err
		}
		m := newMessage(q, s, cd, data, 1)
		m.atMostOnce = true
		return m, nil
	}, func(dctx context.Context, m *Message) {
		// Never handed to anyone: put it back (at the end of its lane).
		if _, err := q.write(dctx, nil, m.Priority, []putItem{{data: m.Data}}, nil); err != nil {
			q.c.Logger().Warn("queue: could not put back a message whose take was cancelled", "id", m.ID, "err", err)
		}
	})
}
