package zkrecipes

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Subscription receives every state change after Subscribe, in order. It
// buffers without bound, so a slow reader never blocks the client, and it
// starts no goroutine: the reader pulls with Next.
type Subscription struct {
	c      *Client
	mu     sync.Mutex
	q      []StateChange
	sig    chan struct{}
	closed bool
}

// Subscribe starts a subscription to connection-state changes. Close it
// when done; the last change a subscription sees is Closed.
func (c *Client) Subscribe() *Subscription {
	s := &Subscription{c: c, sig: make(chan struct{}, 1)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		s.q = append(s.q, StateChange{State: Closed, At: time.Now()})
		s.sig <- struct{}{}
		return s
	}
	c.subs[s] = struct{}{}
	return s
}

// Next returns the next change, waiting for one until ctx is done. After
// the Closed change it returns ErrClosed, as it does after Close.
func (s *Subscription) Next(ctx context.Context) (StateChange, error) {
	for {
		s.mu.Lock()
		if len(s.q) > 0 {
			ch := s.q[0]
			s.q = s.q[1:]
			s.mu.Unlock()
			return ch, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return StateChange{}, ErrClosed
		}
		select {
		case <-s.sig:
		case <-ctx.Done():
			return StateChange{}, ctx.Err()
		}
	}
}

// Close ends the subscription and drops what it had not delivered.
func (s *Subscription) Close() {
	s.c.mu.Lock()
	delete(s.c.subs, s)
	s.c.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.q = nil
	s.mu.Unlock()
	s.wake()
}

func (s *Subscription) deliver(ch StateChange, last bool) {
	s.mu.Lock()
	if !s.closed {
		s.q = append(s.q, ch)
		if last {
			s.closed = true // Next drains the queue, then reports ErrClosed
		}
	}
	s.mu.Unlock()
	s.wake()
}

func (s *Subscription) wake() {
	select {
	case s.sig <- struct{}{}:
	default:
	}
}

// emitLocked records a transition and hands it to every subscriber and
// the observer; reason is ConnEvent.Reason.
func (c *Client) emitLocked(st State, sess *Session, reason string) {
	c.state = st
	ch := StateChange{State: st, Session: sess, At: time.Now()}
	c.observeConnLocked(st, sess, reason, ch.At)
	attrs := []any{"state", st.String()}
	if sess != nil {
		attrs = append(attrs, "session", sessionHex(sess.id))
	}
	c.o.logger.Info("zkrecipes: connection state", attrs...)
	for s := range c.subs {
		s.deliver(ch, st == Closed)
	}
	if st == Closed {
		c.subs = map[*Subscription]struct{}{}
	}
}

func sessionHex(id int64) string { return fmt.Sprintf("0x%x", uint64(id)) }
