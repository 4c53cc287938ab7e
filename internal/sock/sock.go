// Package sock is the socket level beneath go-zookeeper: the net.Conn
// wrappers that zkrecipes puts between go-zookeeper and the network, and
// what they learn there. go-zookeeper exposes neither the negotiated
// session timeout nor, reliably, the session id, nor when the server last
// spoke, nor when a request has been written; the wrappers read these off
// the frames (see internal/wire) as they pass. One wrapper also orders a
// read and a write of go-zookeeper's to remove a data race in it (see
// holdConn).
//
// A Set gathers the connections of one go-zookeeper Conn, that is of one
// session of the client, and everything learnt on them.
package sock

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// Set is the connections of one go-zookeeper Conn. The zero Set is ready
// to use; it is safe for concurrent use.
type Set struct {
	// Failed, if set, is told why a connection ended before the server's
	// connect response was read. Set it before the first Add.
	Failed func(error)

	// negotiated session timeout and session id, read off the connect response
	timeoutMs atomic.Int32
	sid       atomic.Int64
	// when the server last sent us anything, as nanoseconds since epochMono
	lastRead    atomic.Int64
	dials       atomic.Int64 // connections added
	established atomic.Bool  // a connect response gave us a session

	mu     sync.Mutex
	conns  map[*conn]struct{}
	writes writeWatches
}

// Add wraps nc, a connection just dialled to addr, for go-zookeeper. If
// hold is set, the replies that would race go-zookeeper's setWatches are
// held until it is written (see holdConn): pass it only when go-zookeeper
// is sure to write one on this connection.
func (s *Set) Add(nc net.Conn, addr string, hold bool) net.Conn {
	s.dials.Add(1)
	if hold {
		nc = newHoldConn(nc)
	}
	c := &conn{Conn: nc, set: s, addr: addr}
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	return c
}

// CloseAll closes the socket of every connection not closed yet.
// go-zookeeper's Close does not close its socket, so under a partition
// its reader would linger until its read deadline.
func (s *Set) CloseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Conn.Close()
	}
}

// Dials returns how many connections were added, counting the current one.
func (s *Set) Dials() int64 { return s.dials.Load() }

// Established reports whether a connect response gave us a session: later
// connections are reconnections of it.
func (s *Set) Established() bool { return s.established.Load() }

// SessionID returns the session id of the latest connect response (0
// before any, or when the server refused the session).
func (s *Set) SessionID() int64 { return s.sid.Load() }

// Timeout returns the negotiated session timeout, 0 before any connect
// response.
func (s *Set) Timeout() time.Duration {
	return time.Duration(s.timeoutMs.Load()) * time.Millisecond
}

// SinceRead returns how long ago the server last sent us anything on any
// of the connections.
func (s *Set) SinceRead() time.Duration { return time.Duration(monoNow() - s.lastRead.Load()) }

// epochMono is the origin of Set.lastRead (monotonic clock).
var epochMono = time.Now()

func monoNow() int64 { return int64(time.Since(epochMono)) }

// sniff takes the timeout and session id from a connect response.
func (s *Set) sniff(head []byte) {
	ms, sid := wire.ConnectReply(head)
	if ms > 0 {
		s.timeoutMs.Store(ms)
	}
	s.sid.Store(sid)
	if sid != 0 {
		s.established.Store(true)
	}
}
