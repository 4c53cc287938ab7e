// Package sock is the socket level beneath go-zookeeper: the net.Conn
// wrappers that zkrecipes puts between go-zookeeper and the network, and
// what they learn there. go-zookeeper exposes neither the negotiated
// session timeout nor, reliably, the session id, nor when the server last
// spoke, nor when a request has been written; the wrappers read these off
// the frames (see internal/wire) as they pass.
//
// The socket level also carries requests of zkrecipes' own on
// go-zookeeper's connection (calls.go): the watching reads (watchops.go),
// whose watches it keeps and sets again on every new connection of the
// session (watches.go). go-zookeeper then holds no watch of its own, which
// removes a data race in it (see watchops.go).
//
// A Set gathers the connections of one go-zookeeper Conn, that is of one
// session of the client, and everything learnt on them.
package sock

import (
	"net"

	"github.com/go-zookeeper/zk"
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
	// HandshakeTimeout, if set, bounds the wait for the connect response
	// from the dial on (go-zookeeper allows ten read timeouts, over a
	// minute for a 10 s session): a server that accepts the connection
	// while it is still starting may never answer it. Set it before the
	// first Add.
	HandshakeTimeout time.Duration

	// negotiated session timeout and session id, read off the connect response
	timeoutMs atomic.Int32
	sid       atomic.Int64
	// when the server last sent us anything, as nanoseconds since epochMono
	lastRead    atomic.Int64
	dials       atomic.Int64 // connections added
	established atomic.Bool  // a connect response gave us a session

	lastZxid  atomic.Int64 // of the latest reply on any connection
	noPersist atomic.Bool  // the server answered addWatch as unknown
	xids      atomic.Int32 // our own requests' xids, counted (see ownXidBase)
	reg       registry     // the session's watches

	mu      sync.Mutex
	conns   map[*conn]struct{}
	ready   *conn           // the connection our own requests go to, or nil
	readyCh chan struct{}   // closed when a connection is ready; nil: nobody waits
	calls   map[int32]*call // our own requests awaiting replies, by xid
	endErr  error           // the session ended: every request fails with it
	writes  writeWatches
}

// Add wraps nc, a connection just dialled to addr, for go-zookeeper.
func (s *Set) Add(nc net.Conn, addr string) net.Conn {
	s.dials.Add(1)
	c := &conn{Conn: nc, set: s, addr: addr}
	if s.HandshakeTimeout > 0 {
		c.handshakeBy = time.Now().Add(s.HandshakeTimeout)
	}
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

// handshake takes the timeout and session id from c's connect response
// and, if it gave c the session, sets the session's watches again on c
// and makes it the connection for our own requests. It runs on the
// reading goroutine before go-zookeeper has the response, so that the
// setWatches frames go out before any request of go-zookeeper's on c.
func (s *Set) handshake(c *conn, head []byte) {
	if len(head) < wire.ConnectReplySize {
		return
	}
	ms, sid := wire.ConnectReply(head)
	if ms > 0 {
		s.timeoutMs.Store(ms)
	}
	s.sid.Store(sid)
	if sid == 0 {
		return // refused: the session is gone
	}
	s.established.Store(true)
	s.reg.connected(c)
	for _, f := range s.rearmFrames(s.lastZxid.Load(), s.nextXid) {
		if c.writeOwn(f) != nil {
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ended.Load() || s.endErr != nil {
		return
	}
	s.ready = c
	if s.readyCh != nil {
		close(s.readyCh)
		s.readyCh = nil
	}
}

// ended takes c out of the set once it is closed or its reader failed.
func (s *Set) ended(c *conn) {
	s.mu.Lock()
	c.ended.Store(true)
	delete(s.conns, c)
	if s.ready == c {
		s.ready = nil
	}
	s.failCallsLocked(c, zk.ErrConnectionClosed)
	s.mu.Unlock()
	// After the calls: a Persistent's reads fail before it ends.
	s.reg.endPersistent(func(x *conn) bool { return x == c }, zk.ErrConnectionClosed)
}

// End ends the session's use of the set: requests waiting or in flight
// fail with err, and every watch fires EventNotWatching with err.
func (s *Set) End(err error) {
	s.mu.Lock()
	if s.endErr == nil {
		s.endErr = err
		s.ready = nil
		if s.readyCh != nil {
			close(s.readyCh)
			s.readyCh = nil
		}
		s.failCallsLocked(nil, err)
	}
	s.mu.Unlock()
	s.reg.endAll(err)
	s.reg.endPersistent(func(*conn) bool { return true }, err)
}
