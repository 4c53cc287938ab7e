package sock

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// conn is one connection between go-zookeeper and the server.
//
// Reading, it follows the server's frames: it reads the negotiated
// timeout and the session id out of the connect response (go-zookeeper
// exposes neither reliably), notes when the server last spoke (a
// partitioned client dates its session's expiry from it), records the
// zxid of every reply, hands watch events to the session's registry, and
// takes the replies to zkrecipes' own requests out of the stream (see
// calls.go); go-zookeeper reads everything else unchanged. It buffers:
// go-zookeeper reads every reply in two calls (its length, then the
// rest), and replies often arrive several at a time.
//
// Writing, it lets go-zookeeper's frames and zkrecipes' own interleave
// whole, under one lock.
type conn struct {
	net.Conn
	set  *Set
	addr string

	handshakeBy time.Time // the connect response is due by then (zero: no bound)

	wmu       sync.Mutex
	deadline  atomic.Pointer[time.Time] // go-zookeeper's write deadline, applied under wmu
	ended     atomic.Bool
	closeOnce sync.Once

	// Reader state: only go-zookeeper's reading goroutine of this
	// connection touches it (the handshake reader, then the receive loop,
	// which starts after the handshake returned).
	buf      []byte // read from the socket, not yet looked at: buf[pos:end]
	pos, end int
	err      error // the socket's error, passed on once everything before it is

	frames  int                         // frames completed so far; 0 is the handshake
	head    [wire.ConnectReplySize]byte // the current frame's first bytes
	headN   int                         // of head, collected
	inFrame bool                        // head read: kind and remain are the current frame's
	kind    frameKind
	remain  int    // bytes of the current frame after head, still to read
	out     []byte // of head, decided to pass on, not yet passed
	body    []byte // a frame kept whole: a reply of ours, or an event
	zxid    int64  // the current frame's zxid, recorded once it is complete
}

type frameKind uint8

const (
	passFrame  frameKind = iota // go-zookeeper's
	eventFrame                  // go-zookeeper's too, and the registry's
	ownFrame                    // ours only
)

// readBufSize is enough for most replies; a larger read of a frame
// go-zookeeper gets skips the buffer.
const readBufSize = 16 << 10

// SetReadDeadline bounds go-zookeeper's wait for the connect response by
// the set's HandshakeTimeout. Only go-zookeeper's reading goroutine calls it.
func (c *conn) SetReadDeadline(t time.Time) error {
	if c.frames == 0 && !c.handshakeBy.IsZero() && (t.IsZero() || t.After(c.handshakeBy)) {
		t = c.handshakeBy
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.deadline.Store(&t)
	return nil
}

// Write passes one of go-zookeeper's frames on (one request per call) and
// shows it to the set's write watches.
func (c *conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	if d := c.deadline.Load(); d != nil {
		_ = c.Conn.SetWriteDeadline(*d)
	}
	n, err := c.Conn.Write(p)
	c.wmu.Unlock()
	if err == nil {
		c.set.writes.wrote(p)
	}
	return n, err
}

// writeOwn writes a frame of zkrecipes' own. A failed write ends the
// connection, as go-zookeeper's do.
func (c *conn) writeOwn(frame []byte) error {
	return c.writeBuilt(func() []byte { return frame })
}

// writeBuilt writes the frame build makes under the write lock, nothing
// if it makes none: what build decides from the registry (whether a read
// sets a watch, whether a watch is removed) then holds on the wire in the
// order the frames are written, which is the order the server sees them.
func (c *conn) writeBuilt(build func() []byte) error {
	c.wmu.Lock()
	frame := build()
	if len(frame) == 0 {
		c.wmu.Unlock()
		return nil
	}
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.set.ownWriteTimeout()))
	_, err := c.Conn.Write(frame)
	c.wmu.Unlock()
	if err != nil {
		c.Close()
	}
	return err
}

func (c *conn) Close() error {
	c.finish()
	return c.Conn.Close()
}

// finish takes c out of its set: no request of ours goes to it any more
// and those awaiting a reply on it fail.
func (c *conn) finish() {
	c.closeOnce.Do(func() { c.set.ended(c) })
}

func (c *conn) Read(p []byte) (int, error) {
	for {
		if len(c.out) > 0 {
			n := copy(p, c.out)
			c.out = c.out[n:]
			return n, nil
		}
		if c.inFrame && c.remain > 0 {
			if n, ok, err := c.readBody(p); ok {
				return n, err
			}
			continue
		}
		if err := c.readHead(); err != nil {
			return 0, err
		}
	}
}

// readBody reads on in the current frame's body: for go-zookeeper into p
// (ok, with the count), or for us into c.body (not ok: read on).
func (c *conn) readBody(p []byte) (n int, ok bool, err error) {
	if c.pos == c.end {
		if c.err != nil {
			return 0, true, c.takeErr()
		}
		if c.kind == passFrame && len(p) >= readBufSize {
			n, c.err = c.socketRead(p[:min(len(p), c.remain)])
			c.took(n)
			if n == 0 {
				return 0, true, c.takeErr()
			}
			return n, true, nil
		}
		c.fill()
		return 0, false, nil
	}
	k := min(c.end-c.pos, c.remain)
	chunk := c.buf[c.pos : c.pos+k]
	if c.kind != passFrame {
		c.body = append(c.body, chunk...)
	}
	if c.kind == ownFrame {
		c.pos += k
		c.took(k)
		return 0, false, nil
	}
	n = copy(p, chunk)
	c.pos += n
	c.took(n)
	return n, true, nil
}

// took counts n bytes of the current frame's body as read.
func (c *conn) took(n int) {
	c.remain -= n
	if c.remain == 0 {
		c.completed()
	}
}

// readHead collects the next frame's head, up to wire.ConnectReplySize
// bytes (a reply's length, xid, zxid and error; the connect response's
// length, version, timeout and session id), and decides whose it is.
func (c *conn) readHead() error {
	c.inFrame, c.headN, c.body = false, 0, c.body[:0]
	need := len(c.head)
	for c.headN < need {
		if c.pos == c.end {
			if c.err != nil {
				return c.takeErr()
			}
			c.fill()
			continue
		}
		k := copy(c.head[c.headN:need], c.buf[c.pos:c.end])
		c.pos += k
		c.headN += k
		if c.headN >= 4 {
			need = min(len(c.head), 4+int(binary.BigEndian.Uint32(c.head[:4])))
		}
	}
	c.inFrame = true
	c.remain = 4 + int(binary.BigEndian.Uint32(c.head[:4])) - c.headN
	c.kind, c.zxid = passFrame, 0
	if c.frames > 0 && c.headN >= 16 {
		xid, zxid, _ := wire.ReplyHeader(c.head[4:c.headN])
		switch {
		case isOwnXid(xid):
			c.kind = ownFrame
		case xid == wire.XidWatchEvent:
			c.kind = eventFrame
		}
		if zxid > 0 && (xid >= 0 || c.kind == ownFrame) {
			c.zxid = zxid
		}
	}
	if c.kind == ownFrame {
		// A reply of ours is handed over whole (see completed): a buffer
		// of its own, of its size, which the caller then keeps.
		c.body = newBody(c.headN - 4 + c.remain)
	}
	if c.kind != passFrame {
		c.body = append(c.body, c.head[4:c.headN]...)
	}
	if c.kind != ownFrame {
		c.out = c.head[:c.headN]
	}
	if c.remain == 0 {
		c.completed()
	}
	return nil
}

// completed acts on a frame read whole: the handshake readies the
// connection, a reply's zxid is the session's latest, an event fires its
// watches, a reply of ours goes to its call.
func (c *conn) completed() {
	if c.zxid > 0 {
		c.set.lastZxid.Store(c.zxid)
	}
	switch {
	case c.frames == 0:
		c.set.handshake(c, c.head[:c.headN])
	case c.kind == eventFrame:
		if len(c.body) >= 16 {
			if ev, err := wire.ParseEvent(c.body[16:]); err == nil {
				c.set.reg.fire(c, ev)
			}
		}
	case c.kind == ownFrame:
		r, ok := wire.ParseReply(c.body)
		c.body = nil // r.Body is the caller's now
		if ok {
			c.set.deliver(r)
		}
	}
	c.frames++
	if cap(c.body) > readBufSize {
		c.body = nil // a large reply of ours: do not keep its buffer for the connection's life
	}
}

// fill reads what the socket holds into the buffer.
func (c *conn) fill() {
	if c.buf == nil {
		c.buf = make([]byte, readBufSize)
	}
	c.pos, c.end = 0, 0
	n, err := c.socketRead(c.buf)
	c.end = n
	c.err = err
}

// socketRead reads from the socket, noting when the server last spoke and
// why a handshake failed.
func (c *conn) socketRead(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.set.lastRead.Store(monoNow())
	}
	if err != nil {
		if c.frames == 0 && c.set.Failed != nil {
			c.set.Failed(fmt.Errorf("handshake with %s: %w", c.addr, err))
		}
		if n == 0 {
			c.finish()
		}
	}
	return n, err
}

// takeErr returns the socket's error once everything before it was read.
func (c *conn) takeErr() error {
	err := c.err
	c.finish()
	return err
}
