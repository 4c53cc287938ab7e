package bench

import (
	"encoding/binary"
	"net"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
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
	c     *Counter
	first bool
}

// go-zookeeper writes each request with one Write: length, xid, opcode.
// The connect handshake (first write) and pings (xid -2) are not requests.
func (cc *countConn) Write(p []byte) (int, error) {
	if !cc.first {
		cc.first = true
	} else if len(p) >= 8 && int32(binary.BigEndian.Uint32(p[4:8])) != -2 {
		cc.c.n.Add(1)
	}
	return cc.Conn.Write(p)
}
