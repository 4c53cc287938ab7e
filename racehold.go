package zkrecipes

import (
	"encoding/binary"
	"net"
	"sync"
	"time"
)

// holdConn works around a data race in go-zookeeper v1.0.4: after a
// reconnect, Conn.sendSetWatches reads Conn.lastZxid while the new
// connection's receive loop writes it for the first replies, with nothing
// ordering the two (the race detector fires in any program that holds
// watches across a reconnect). We hold the replies that follow the
// handshake until go-zookeeper has written its setWatches request, which it
// does after that read; every session keeps a watch (see sentinelPath), so
// the request comes on every reconnection, and limit only bounds a stall.
// Only reconnections are held: a first connection has no watches.
type holdConn struct {
	net.Conn
	mu        sync.Mutex
	writes    int
	read      int // bytes of the handshake reply read so far
	handshake int // its length, once known
	ready     chan struct{}
	once      sync.Once
	since     time.Time
	limit     time.Duration
}

const (
	opSetWatches = 101
	holdLimit    = 50 * time.Millisecond
)

func newHoldConn(nc net.Conn, limit time.Duration) *holdConn {
	return &holdConn{Conn: nc, ready: make(chan struct{}), limit: limit}
}

func (c *holdConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	if c.writes > 1 && len(b) >= 12 && int32(binary.BigEndian.Uint32(b[8:12])) == opSetWatches {
		c.once.Do(func() { close(c.ready) })
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *holdConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	done := c.handshake > 0 && c.read >= c.handshake
	if done && c.since.IsZero() {
		c.since = time.Now()
	}
	since := c.since
	c.mu.Unlock()
	if done {
		select {
		case <-c.ready:
		default:
			t := time.NewTimer(time.Until(since.Add(c.limit)))
			select {
			case <-c.ready:
			case <-t.C:
				c.once.Do(func() { close(c.ready) })
			}
			t.Stop()
		}
		return c.Conn.Read(b)
	}
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	if c.handshake == 0 && c.read < 4 && c.read+n >= 4 {
		var hdr [4]byte
		copy(hdr[c.read:], b[:4-c.read])
		c.handshake = 4 + int(binary.BigEndian.Uint32(hdr[:]))
	}
	c.read += n
	c.mu.Unlock()
	return n, err
}
