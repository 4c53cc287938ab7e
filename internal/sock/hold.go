package sock

import (
	"net"
	"sync"
	"sync/atomic"

	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// holdConn removes a data race in go-zookeeper v1.0.4 (go-zookeeper/zk#35):
// after a reconnection, the connection goroutine reads Conn.lastZxid to
// set the session's watches again (sendSetWatches) while the new
// connection's receive loop writes it for every reply that carries a zxid,
// with nothing ordering the two.
//
// The fix is an ordering, not a delay. holdConn passes on every byte the
// server sends except the frames go-zookeeper takes lastZxid from (replies
// to requests, xid >= 0, with a zxid > 0): the first such frame is held,
// after its 16-byte header, until go-zookeeper writes its setWatches
// request. That write comes after the read, on a chain of goroutine starts
// and channel operations the race detector sees, so the receive loop's
// write is ordered after it. The connect response, ping replies, watch
// events and replies without a zxid (setAuth) pass.
//
// Why it cannot deadlock: a connection is held only when go-zookeeper is
// sure to write setWatches on it, that is when it holds a watch from an
// earlier connection (the client's dialer, zkrecipes' generation.dialer,
// asks for a hold only on a reconnection, once the sentinel watch is
// known to be registered; see sentinelPath there). Writing setWatches
// needs no reply that is held: go-zookeeper's sender first resends
// credentials, whose replies carry no zxid and pass, then writes the
// queue in order without waiting for replies. If the connection ends
// first, Close releases the hold and the receive loop sees an error, not
// the held replies: go-zookeeper's sender closes the connection when a
// write fails, possibly before the read of lastZxid, and passing the
// held replies then would let the race happen (a clean-clone CI run
// caught exactly that). The connection is gone: the replies would be lost
// with it a moment later anyway.
type holdConn struct {
	net.Conn
	writes  atomic.Int64
	written atomic.Bool   // setWatches was written: held replies may pass
	release chan struct{} // closed once setWatches is written or the conn closed
	once    sync.Once

	// Reader state: only go-zookeeper's reading goroutine of this
	// connection touches it (the handshake reader, then the receive loop,
	// which starts after the handshake returned).
	scan     frameScan
	held     []byte // read from the socket after the cut, not yet passed on
	heldErr  error  // the socket's error, passed on after held
	released bool   // the reader has seen release closed
}

func newHoldConn(nc net.Conn) *holdConn {
	return &holdConn{Conn: nc, release: make(chan struct{})}
}

func (c *holdConn) open() { c.once.Do(func() { close(c.release) }) }

// Write releases the hold when go-zookeeper writes setWatches (it writes one
// request per call). The first write is the connect request, which has no
// opcode.
func (c *holdConn) Write(b []byte) (int, error) {
	if c.writes.Add(1) > 1 && wire.RequestOpcode(b) == wire.OpSetWatches {
		c.written.Store(true) // before open: a reader that sees it sees the ordering
		c.open()
	}
	return c.Conn.Write(b)
}

func (c *holdConn) Close() error {
	c.open()
	return c.Conn.Close()
}

func (c *holdConn) Read(b []byte) (int, error) {
	if c.released && c.held == nil {
		return c.Conn.Read(b)
	}
	if c.held != nil {
		<-c.release
		if !c.written.Load() { // released by Close: never pass the held replies
			c.held, c.heldErr = nil, nil
			return 0, net.ErrClosed
		}
		c.released = true
		n := copy(b, c.held)
		c.held = c.held[n:]
		if len(c.held) == 0 {
			c.held = nil
			if c.heldErr != nil {
				return n, c.heldErr
			}
		}
		return n, nil
	}
	n, err := c.Conn.Read(b)
	if pass := c.scan.feed(b[:n]); pass < n {
		if c.written.Load() {
			c.released = true // setWatches already written: nothing to hold
			return n, err
		}
		c.held = append([]byte(nil), b[pass:n]...)
		c.heldErr = err
		if pass == 0 {
			return c.Read(b) // wait for the release
		}
		return pass, nil
	}
	return n, err
}

// frameScan follows the frames a server sends on one connection, to find
// the first that go-zookeeper would take lastZxid from.
type frameScan struct {
	frames wire.Framer
	found  bool // the frame to hold was found; scanning stops
}

// feed consumes p and returns how many of its bytes may be passed on: all,
// or up to and including the 16th byte of the first frame to hold (its
// length, xid and zxid: the end of its wire.Head), so that go-zookeeper
// cannot finish reading that frame.
func (s *frameScan) feed(p []byte) int {
	for i := 0; i < len(p) && !s.found; {
		n, h, ok := s.frames.Next(p[i:])
		i += n
		if ok && h.Index > 0 && lastZxidReply(h) {
			s.found = true
			return i
		}
	}
	if s.found {
		return 0
	}
	return len(p)
}

// lastZxidReply is go-zookeeper's condition for writing lastZxid: a reply
// (body of xid, zxid and err at least) to a request, with a zxid.
func lastZxidReply(h wire.Head) bool {
	xid, zxid, ok := wire.ReplyHeader(h.Bytes)
	return ok && h.Size >= 16 && xid >= 0 && zxid > 0
}
