package zkrecipes

import (
	"context"
	"fmt"
	"time"

	"github.com/zkrecipes/zkrecipes/internal/fifo"
)

// Subscription receives every state change after Subscribe, in order. It
// buffers without bound, so a slow reader never blocks the client, and it
// starts no goroutine: the reader pulls with Next.
type Subscription struct {
	c *Client
	q *fifo.Queue[StateChange]
}

// Subscribe starts a subscription to connection-state changes. Close it
// when done; the last change a subscription sees is Closed.
func (c *Client) Subscribe() *Subscription {
	s := &Subscription{c: c, q: fifo.New[StateChange]()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		s.deliver(StateChange{State: Closed, At: time.Now()}, true)
		return s
	}
	c.subs[s] = struct{}{}
	return s
}

// Next returns the next change, waiting for one until ctx is done. After
// the Closed change it returns ErrClosed, as it does after Close.
func (s *Subscription) Next(ctx context.Context) (StateChange, error) {
	return s.q.Next(ctx)
}

// Close ends the subscription and drops what it had not delivered.
func (s *Subscription) Close() {
	s.c.mu.Lock()
	delete(s.c.subs, s)
	s.c.mu.Unlock()
	s.q.Close(ErrClosed)
}

func (s *Subscription) deliver(ch StateChange, last bool) {
	s.q.Push(ch)
	if last {
		s.q.End(ErrClosed) // Next drains the queue, then reports ErrClosed
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
