package queue_test

import (
	"encoding/binary"
	"net"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// holdReads works around a data race in go-zookeeper v1.0.4, seen by the
// race detector in tests that reconnect while watches are set: after a
// reconnect, Conn.sendSetWatches reads Conn.lastZxid while the new
// connection's recvLoop writes it for the first replies, with nothing
// ordering the two. This dialer holds the replies after the handshake
// until the setWatches request has been written (which go-zookeeper does
// after that read), or 50ms if there is none, so that the read happens
// before the write.
func holdReads(dial zk.Dialer) zk.Dialer {
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		nc, err := dial(network, address, timeout)
		if err != nil {
			return nil, err
		}
		return &heldConn{Conn: nc, ready: make(chan struct{})}, nil
	}
}

const opSetWatches = 101

type heldConn struct {
	net.Conn
	mu        sync.Mutex
	writes    int
	read      int // bytes of the handshake reply read so far
	handshake int // its length, once known
	ready     chan struct{}
	once      sync.Once
	since     time.Time
}

func (c *heldConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	if c.writes > 1 && len(b) >= 12 && int32(binary.BigEndian.Uint32(b[8:12])) == opSetWatches {
		c.once.Do(func() { close(c.ready) })
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *heldConn) Read(b []byte) (int, error) {
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
		case <-time.After(time.Until(since.Add(50 * time.Millisecond))):
			c.once.Do(func() { close(c.ready) })
		}
		return c.Conn.Read(b)
	}
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	if c.handshake == 0 && c.read+n >= 4 && c.read < 4 {
		var hdr [4]byte
		copy(hdr[c.read:], b[:4-c.read])
		c.handshake = 4 + int(binary.BigEndian.Uint32(hdr[:]))
	}
	c.read += n
	c.mu.Unlock()
	return n, err
}
