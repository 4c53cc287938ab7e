package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// Message is a message handed out by Take, Poll or Consume. Its claim
// belongs to the session it was taken in. Settle it exactly once with Ack,
// Nack or DeadLetter; a Message is safe for use by several goroutines, but
// only the first settlement counts.
type Message struct {
	ID         string // stable id of the message (what Put returned), for Remove
	Data       []byte
	Priority   int
	Deliveries int // how many times the message was claimed, this time included (see the package doc)

	q          *Queue
	id         msgID
	s          *zkrecipes.Session
	atMostOnce bool

	mu      sync.Mutex
	settled bool
}

func newMessage(q *Queue, s *zkrecipes.Session, cd cand, data []byte, deliveries int) *Message {
	return &Message{ID: cd.id.String(), Data: data, Priority: cd.prio, Deliveries: deliveries, q: q, id: cd.id, s: s}
}

// Lost returns a channel that is closed when the consumer's claim on m
// ends without a settlement: its session was lost (or the client closed),
// so another consumer may get the message. It is nil (never closes) for a
// message taken at most once.
func (m *Message) Lost() <-chan struct{} {
	if m.atMostOnce {
		return nil
	}
	return m.s.Done()
}

// Ack removes the message from the queue for good. It returns nil once the
// message is gone (also if it had been removed with Remove), ErrClaimLost
// if the claim ended first (the message is, or will be, delivered again),
// ctx's error if ctx is done first (then Ack may be called again), and
// ErrSettled after an earlier settlement. A lost reply is recognised: the
// acknowledgement is applied once. If the session ended while the Ack was
// in flight, the message's presence (read in the next session) tells:
// gone, nil; still there, ErrClaimLost; unreadable, an error wrapping
// zkrecipes.ErrUncertain.
func (m *Message) Ack(ctx context.Context) error {
	return m.settle(ctx, "ack", func(ctx context.Context) error {
		_, err := detach(ctx, m.q.c, func(dctx context.Context) (struct{}, error) {
			_, err := m.q.acks.do(ackOp{dctx, m}, m.q.ackMany)
			return struct{}{}, err
		}, nil)
		return err
	})
}

// Nack returns the message to the queue at once, in its original place,
// for any consumer to take again. Errors as for Ack.
func (m *Message) Nack(ctx context.Context) error {
	return m.settle(ctx, "nack", func(ctx context.Context) error {
		err := m.nack(ctx)
		if err == nil {
			m.q.cur.released(m.id)
		}
		return err
	})
}

// DeadLetter moves the message to the dead-letter queue (RabbitMQ's reject
// without requeue). Errors as for Ack.
func (m *Message) DeadLetter(ctx context.Context) error {
	return m.settle(ctx, "dead-letter", func(ctx context.Context) error { return m.q.deadLetter(ctx, m) })
}

func (m *Message) settle(ctx context.Context, op string, fn func(context.Context) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.settled {
		return ErrSettled
	}
	if m.atMostOnce {
		m.settled = true
		m.q.cur.done(m.id)
		if op == "ack" {
			return nil
		}
		return ErrNotClaimed
	}
	err := fn(ctx)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ErrClaimLost) {
		return fmt.Errorf("queue: %s %s: %w", op, m.ID, err) // not settled: may be tried again
	}
	m.settled = true
	m.q.cur.done(m.id)
	m.q.leave()
	if err != nil {
		return fmt.Errorf("queue: %s %s: %w", op, m.ID, err)
	}
	return nil
}

// exists reads whether p exists in whatever session is current, waiting
// for one, until ctx is done.
func (q *Queue) exists(ctx context.Context, p string) (bool, error) {
	for {
		s, err := q.c.WaitSession(ctx)
		if err != nil {
			return false, err
		}
		var ok bool
		if err = catchUp(ctx, s, p); err == nil {
			ok, _, err = s.Exists(ctx, p)
		}
		if err == nil || !transient(err) || ctx.Err() != nil {
			return ok, err
		}
	}
}

// nack deletes our claim and touches the signal node, whose data watch
// tells every consumer to look at this message's bucket again.
func (m *Message) nack(ctx context.Context) error {
	claim := m.q.l.claim(m.id)
	for {
		res, err := m.s.Multi(ctx, &zk.DeleteRequest{Path: claim, Version: -1}, &zk.SetDataRequest{Path: m.q.l.signal, Version: -1})
		if err == nil {
			return nil
		}
		if lost := m.lostErr(err); lost != nil {
			return lost
		}
		if ambiguous(err) && ctx.Err() == nil {
			eerr := catchUp(ctx, m.s, claim)
			var ok bool
			if eerr == nil {
				ok, _, eerr = m.s.Exists(ctx, claim)
			}
			if eerr != nil {
				return orLost(m, eerr)
			}
			if !ok {
				return nil
			}
			continue
		}
		if errors.Is(err, zk.ErrNoNode) {
			if failedOp(res) == 1 { // no signal node: the queue was deleted
				return m.drop(ctx)
			}
			return fmt.Errorf("%w: claim deleted by someone else", ErrClaimLost)
		}
		return err
	}
}

// drop deletes our claim without settling through the queue's protocol.
func (m *Message) drop(ctx context.Context) error {
	err := m.s.Delete(ctx, m.q.l.claim(m.id), -1)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	return err
}

// lostErr maps the end of the claim's session to ErrClaimLost.
func (m *Message) lostErr(err error) error {
	if m.s.Err() != nil || errors.Is(err, zkrecipes.ErrSessionLost) || errors.Is(err, zk.ErrSessionExpired) {
		return fmt.Errorf("%w: %w", ErrClaimLost, err)
	}
	return nil
}

func orLost(m *Message, err error) error {
	if lost := m.lostErr(err); lost != nil {
		return lost
	}
	return err
}
