package bench

import (
	"net"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// Counter counts ZooKeeper requests a client sends (pings excluded), so
// workloads can report round trips per operation. Use its Dial as the
// client's dialer.
type Counter struct{ n atomic.Int64 }

// Requests returns the number of requests sent so far.
func (c *Counter) Requests() int64 { return c.n.Load() }

// Dial is a zk.Dialer that counts request packets written on the connection.
func (c *Counter) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	nc, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &countConn{Conn: nc, c: c}, nil
}

var _ zk.Dialer = (*Counter)(nil).Dial

type countConn struct {
	net.Conn
	c *Counter
	f wire.Framer // writes come whole frames or several, never interleaved
}

// The connect handshake (frame 0) and pings (xid -2) are not requests.
func (cc *countConn) Write(p []byte) (int, error) {
	cc.f.Feed(p, func(h wire.Head) {
		if xid, _, ok := wire.RequestHeader(h.Bytes); ok && h.Index > 0 && xid != -2 {
			cc.c.n.Add(1)
		}
	})
	return cc.Conn.Write(p)
}
