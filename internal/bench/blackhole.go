package bench

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// holeDialer dials real connections that Blackhole turns into a crashed
// peer: their sockets are closed (the server sees the client go), writes
// vanish, reads block until their deadline, and new dials fail. (zktest's
// FaultDialer does more, but zktest imports the testing package, which the
// benchmarks keep out of their dependencies.)
type holeDialer struct {
	mu    sync.Mutex
	holed bool
	conns []*holeConn
}

var errBlackholed = errors.New("bench: black-holed")

func (d *holeDialer) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.holed {
		return nil, errBlackholed
	}
	nc, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	hc := &holeConn{Conn: nc, closed: make(chan struct{})}
	d.conns = append(d.conns, hc)
	return hc, nil
}

// Blackhole crashes every connection and refuses new dials.
func (d *holeDialer) Blackhole() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.holed = true
	for _, c := range d.conns {
		c.mu.Lock()
		c.holed = true
		c.mu.Unlock()
		_ = c.Conn.Close()
	}
}

type holeConn struct {
	net.Conn
	mu       sync.Mutex
	holed    bool
	deadline time.Time
	once     sync.Once
	closed   chan struct{}
}

func (c *holeConn) isHoled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.holed
}

func (c *holeConn) Read(p []byte) (int, error) {
	if !c.isHoled() {
		n, err := c.Conn.Read(p)
		if !c.isHoled() {
			return n, err
		}
	}
	c.mu.Lock()
	dl := c.deadline
	c.mu.Unlock()
	var expire <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		expire = t.C
	}
	select {
	case <-expire:
		return 0, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *holeConn) Write(p []byte) (int, error) {
	if c.isHoled() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *holeConn) SetDeadline(t time.Time) error {
	if c.setDeadline(t) {
		return nil // the socket is closed, silently
	}
	return c.Conn.SetDeadline(t)
}

func (c *holeConn) SetReadDeadline(t time.Time) error {
	if c.setDeadline(t) {
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *holeConn) SetWriteDeadline(t time.Time) error {
	if c.isHoled() {
		return nil
	}
	return c.Conn.SetWriteDeadline(t)
}

// setDeadline records the read deadline and reports whether c is holed.
func (c *holeConn) setDeadline(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	return c.holed
}

func (c *holeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}
