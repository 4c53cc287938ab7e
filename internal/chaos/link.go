package chaos

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes/zktest"
)

// link is one worker's network path to the ensemble: a zktest.FaultDialer
// (cut, black-hole) plus a one-way latency on everything the client sends,
// which FaultDialer lacks. Latency is applied like a slow network, not a
// slow sender: writes return at once and each chunk reaches the server
// latency after it was written, in order.
type link struct {
	fd      *zktest.FaultDialer
	latency atomic.Int64 // nanoseconds added to every write
}

func newLink() *link { return &link{fd: zktest.NewFaultDialer()} }

// Dial has go-zookeeper's zk.Dialer signature.
func (l *link) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := l.fd.Dial(network, address, timeout)
	if err != nil {
		return nil, err
	}
	sc := &slowConn{Conn: c, l: l, wake: make(chan struct{}, 1), done: make(chan struct{}), exited: make(chan struct{})}
	go sc.pump()
	return sc, nil
}

func (l *link) setLatency(d time.Duration) { l.latency.Store(int64(d)) }

// close cuts every connection and makes later dials fail.
func (l *link) close() { l.fd.Close() }

type chunk struct {
	b   []byte
	due time.Time
}

// slowConn delays writes by its link's latency. A pump goroutine writes
// queued chunks when they fall due; it exits when the connection is closed.
type slowConn struct {
	net.Conn
	l *link

	mu     sync.Mutex
	queue  []chunk
	err    error // the first write error, reported by later writes
	closed bool

	wake   chan struct{}
	done   chan struct{}
	exited chan struct{}
}

func (c *slowConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	due := time.Now().Add(time.Duration(c.l.latency.Load()))
	c.queue = append(c.queue, chunk{b: append([]byte(nil), p...), due: due})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (c *slowConn) pump() {
	defer close(c.exited)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.mu.Lock()
		var next *chunk
		if len(c.queue) > 0 {
			next = &c.queue[0]
		}
		c.mu.Unlock()
		if next == nil {
			select {
			case <-c.wake:
				continue
			case <-c.done:
				return
			}
		}
		if wait := time.Until(next.due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-c.done:
				return
			}
		}
		_, err := c.Conn.Write(next.b)
		c.mu.Lock()
		c.queue = c.queue[1:]
		if err != nil && c.err == nil {
			c.err = err
		}
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Close drops what was not yet sent, as a reset connection does.
func (c *slowConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	err := c.Conn.Close()
	<-c.exited
	return err
}
