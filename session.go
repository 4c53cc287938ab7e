package zkrecipes

import (
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes/internal/scope"
)

// Session is one ZooKeeper session of a Client. A Client has one session at
// a time; after a session is lost the Client opens a new one, which is a new
// Session value. Operations made through a Session (its Get, Create, ...)
// run only in that session and fail with ErrSessionLost once it is gone, so
// a recipe that pins its work to a Session never mistakes a new session for
// the continuation of the old one.
type Session struct {
	Ops     // operations in this session only
	id      int64
	timeout time.Duration
	gen     *generation

	mu     sync.Mutex
	disc   chan struct{} // closed at the next suspension; replaced on reconnect
	closed bool

	store scope.Store // recipes' per-session state; ends with the session
}

func newSession(c *Client, g *generation, id int64, timeout time.Duration) *Session {
	s := &Session{id: id, timeout: timeout, gen: g, disc: make(chan struct{})}
	s.Ops = Ops{ops{c: c, gen: g}}
	return s
}

// ID returns the session id the server assigned.
func (s *Session) ID() int64 { return s.id }

// Timeout returns the negotiated session timeout.
func (s *Session) Timeout() time.Duration { return s.timeout }

// Done returns a channel that is closed when the session is lost or the
// client is closed. Its ephemeral nodes are then gone, or will be once the
// server expires the session.
func (s *Session) Done() <-chan struct{} { return s.gen.retired }

// Err returns nil while the session lives, then ErrSessionLost or ErrClosed.
func (s *Session) Err() error {
	select {
	case <-s.gen.retired:
		return s.gen.err
	default:
		return nil
	}
}

// Suspended returns a channel closed at the next suspension of this session
// (or when it ends). If the session is suspended now, the channel is
// already closed. After a reconnection a later call returns a new channel.
// Recipes whose policy treats Suspended as lost select on it.
func (s *Session) Suspended() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disc
}

// connections returns how many TCP connections the session has used,
// counting the current one. Watch events arrive in the order of the changes
// that fire them only within one connection: the watches that go-zookeeper
// sets again after a reconnection fire in any order. A recipe that infers
// anything from the order of two events checks that this count stayed the
// same from before it set the first watch until it read the second event.
// Recipes reach it through internal/seam.
func (s *Session) connections() int64 { return s.gen.socks.Dials() }

// Connected reports whether the session currently has a live connection.
func (s *Session) Connected() bool {
	select {
	case <-s.Suspended():
		return false
	default:
		return true
	}
}

// suspend marks the session disconnected. Once the session has ended (its
// generation retired: the client retires it before suspending it, both
// when the session is lost and on Close), it also ends the session's store.
func (s *Session) suspend() bool {
	if s.Err() != nil {
		defer s.store.End() // after s.mu is released
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.closed = true
	close(s.disc)
	return true
}

func (s *Session) resume() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		return false
	}
	s.closed = false
	s.disc = make(chan struct{})
	return true
}
