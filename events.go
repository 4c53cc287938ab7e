package zkrecipes

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
)

// The state machine. go-zookeeper reports session events on its own
// goroutines; onEvent only queues them, with the
// lost timer's ticks, and the pump applies them one at a time, in order,
// under c.mu. Only the current generation's events count (a retired
// generation's, or any after Close, are ignored); "lose" retires the
// generation, suspends its session, emits Lost, shuts the Conn down on a
// worker and dials a fresh generation, whose session starts with Connected.
//
//	event                          session of the generation     action
//	-----------------------------  ----------------------------  -----------------------------------
//	HasSession                     none yet                      new Session; emit Connected
//	HasSession, another id         any                           lose (the server made a new session)
//	HasSession                     suspended                     stop the lost timer; emit Reconnected
//	HasSession                     connected                     none
//	Disconnected                   connected                     emit Suspended; arm the lost timer
//	Disconnected                   none, or suspended            none
//	Expired                        any                           lose
//	AuthFailed                     any                           log
//	lost timer (latest suspension) still suspended               lose (silent for the session timeout)
//	lost timer                     otherwise (stale)             none
//
// Close is not an event: it retires the generation and emits Closed itself.

type genEvent struct {
	g        *generation
	ev       zk.Event
	sid      int64
	lostTick uint64 // non-zero: the lost timer of suspension #lostTick fired
}

// onEvent is go-zookeeper's callback. It must never block: it only queues.
func (c *Client) onEvent(g *generation, ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	if ev.State == zk.StateExpired {
		// Stop go-zookeeper from opening a new session on this Conn before
		// the pump gets to it; the next generation will.
		g.noDial.Store(true)
	}
	c.push(genEvent{g: g, ev: ev, sid: g.socks.SessionID()})
}

func (c *Client) push(e genEvent) {
	c.evMu.Lock()
	c.evq = append(c.evq, e)
	c.evMu.Unlock()
	select {
	case c.evSig <- struct{}{}:
	default:
	}
}

// pump is the single goroutine that turns go-zookeeper's events into our
// state model. It exits when the client closes.
func (c *Client) pump() {
	defer close(c.pumpDone)
	for {
		select {
		case <-c.evSig:
		case <-c.closing:
			return
		}
		c.evMu.Lock()
		q := c.evq
		c.evq = nil
		c.evMu.Unlock()
		for _, e := range q {
			c.handle(e)
		}
	}
}

func (c *Client) handle(e genEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := e.g
	if g != c.cur || c.closed {
		return // a retired generation's last words
	}
	if e.lostTick != 0 {
		if g.sess != nil && !g.sess.Connected() && e.lostTick == c.suspends {
			c.loseLocked(g, "timeout", fmt.Errorf("disconnected for the session timeout (%v)", g.sess.timeout))
		}
		return
	}
	switch e.ev.State {
	case zk.StateHasSession:
		switch {
		case g.sess == nil:
			s := newSession(c, g, e.sid, c.negotiatedTimeout(g))
			g.sess = s
			c.last = s
			close(g.ready)
			c.emitLocked(Connected, s, "")
		case e.sid != g.sess.id:
			c.loseLocked(g, "new_session", errors.New("server assigned a new session"))
		case g.sess.resume():
			c.stopLostTimerLocked()
			c.emitLocked(Reconnected, g.sess, "")
		}
	case zk.StateDisconnected:
		if g.sess != nil && g.sess.suspend() {
			c.suspends++
			c.emitLocked(Suspended, g.sess, "")
			c.startLostTimerLocked(g)
		}
	case zk.StateExpired:
		c.loseLocked(g, "expired", zk.ErrSessionExpired)
	case zk.StateAuthFailed:
		c.o.logger.Error("zkrecipes: authentication failed", "server", e.ev.Server)
	}
}

func (c *Client) negotiatedTimeout(g *generation) time.Duration {
	if t := g.socks.Timeout(); t > 0 {
		return t
	}
	return c.o.sessionTimeout
}

// startLostTimerLocked arms the client-side expiry: a partitioned client
// never hears that the server expired its session, so once the server has
// been silent for the negotiated timeout we declare the session lost
// ourselves (Curator does the same). The clock starts at the last byte the
// server sent, which is never earlier than the last packet the server got
// from us, so we never declare loss before the server could have expired it
// by more than its tick granularity.
func (c *Client) startLostTimerLocked(g *generation) {
	c.stopLostTimerLocked()
	deadline := g.sess.timeout - g.socks.SinceRead()
	if deadline < 0 {
		deadline = 0
	}
	tick := c.suspends
	c.lostTmr = time.AfterFunc(deadline, func() { c.push(genEvent{g: g, lostTick: tick}) })
}

func (c *Client) stopLostTimerLocked() {
	if c.lostTmr != nil {
		c.lostTmr.Stop()
		c.lostTmr = nil
	}
}

// loseLocked ends generation g's session and starts the next generation;
// reason is ConnEvent.Reason.
func (c *Client) loseLocked(g *generation, reason string, cause error) {
	c.stopLostTimerLocked()
	if !g.retire(fmt.Errorf("%w: %w", ErrSessionLost, cause)) {
		return
	}
	if g.sess != nil {
		g.sess.suspend()
		c.emitLocked(Lost, g.sess, reason)
	}
	c.o.logger.Warn("zkrecipes: session lost", "cause", cause)
	c.spawn(func() { g.shutdown(false) })
	if _, err := c.newGenerationLocked(); err != nil {
		c.o.logger.Error("zkrecipes: cannot open a new session", "err", err)
	}
}
