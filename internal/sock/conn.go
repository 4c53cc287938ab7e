package sock

import (
	"fmt"
	"net"

	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// conn reads the negotiated timeout and the session id out of the
// connect response, the first bytes the server sends on a connection
// (length, protocolVersion, timeOut as int32, sessionId as int64), because
// go-zookeeper exposes neither reliably; and it notes when the server last
// spoke, from which a partitioned client dates its session's expiry.
//
// It also buffers reads: go-zookeeper reads every reply in two calls (its
// length, then the rest), and replies often arrive several at a time, so
// reading what the socket holds at once saves a system call per reply or
// more. Only go-zookeeper's one receiving goroutine reads.
type conn struct {
	net.Conn
	set  *Set
	addr string
	head [wire.ConnectReplySize]byte
	n    int

	buf      []byte // read from the socket, not yet passed on: buf[pos:end]
	pos, end int
	err      error // the socket's error, passed on once buf is drained
}

// readBufSize is enough for most replies; a larger read skips the buffer.
const readBufSize = 16 << 10

func (c *conn) Close() error {
	c.set.mu.Lock()
	delete(c.set.conns, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

// Write passes go-zookeeper's frames on (one request per call) and shows
// them to the set's write watches.
func (c *conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err == nil {
		c.set.writes.wrote(p)
	}
	return n, err
}

func (c *conn) Read(p []byte) (int, error) {
	var n int
	switch {
	case c.pos < c.end:
		n = copy(p, c.buf[c.pos:c.end])
		c.pos += n
	case c.err != nil:
		err := c.err
		c.err = nil
		return 0, err
	default:
		buffered := len(p) < readBufSize // a large read skips the buffer
		dst := p
		if buffered {
			if c.buf == nil {
				c.buf = make([]byte, readBufSize)
			}
			dst = c.buf
		}
		m, err := c.Conn.Read(dst)
		if err != nil && c.n < len(c.head) && c.set.Failed != nil {
			c.set.Failed(fmt.Errorf("handshake with %s: %w", c.addr, err))
		}
		if m == 0 {
			return 0, err
		}
		c.err = err
		c.set.lastRead.Store(monoNow())
		n = m
		if buffered {
			n = copy(p, c.buf[:m])
			c.pos, c.end = n, m
		}
	}
	c.sniff(p[:n])
	return n, nil
}

// sniff collects the connect response's first bytes.
func (c *conn) sniff(p []byte) {
	if c.n < len(c.head) {
		c.n += copy(c.head[c.n:], p)
		if c.n == len(c.head) {
			c.set.sniff(c.head[:])
		}
	}
}
