package zktest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// ZooKeeper request opcodes, for CutAfterRequest and Sent.
const (
	OpCreate          = wire.OpCreate
	OpDelete          = wire.OpDelete
	OpExists          = wire.OpExists
	OpGetData         = wire.OpGetData
	OpSetData         = wire.OpSetData
	OpGetACL          = wire.OpGetACL
	OpSetACL          = wire.OpSetACL
	OpGetChildren     = wire.OpGetChildren
	OpSync            = wire.OpSync
	OpPing            = wire.OpPing
	OpGetChildren2    = wire.OpGetChildren2
	OpCheck           = wire.OpCheck
	OpMulti           = wire.OpMulti
	OpCreate2         = wire.OpCreate2
	OpCreateContainer = wire.OpCreateContainer
	OpCreateTTL       = wire.OpCreateTTL
	OpSetWatches      = wire.OpSetWatches
	OpAddWatch        = wire.OpAddWatch
)

// FaultDialer injects network faults between ZooKeeper clients and
// servers. Its Dial method has the signature of go-zookeeper's zk.Dialer
// (use zk.WithDialer(d.Dial)); every connection it returns can be cut,
// black-holed, or cut right after a chosen request. All methods are safe
// for concurrent use. The zero value is not usable; call NewFaultDialer.
type FaultDialer struct {
	mu         sync.Mutex
	conns      map[*faultConn]struct{} // not yet closed by their user
	dials      int
	blackholed bool
	healed     chan struct{} // closed by Heal; replaced by Blackhole
	unknown    []int32       // opcodes the server is made not to know (Unknown)
	closed     bool
	done       chan struct{} // closed by Close
	armed      bool
	armedOp    int32
	held       bool    // HoldWrites: writes are kept back until ReleaseWrites
	sent       []int32 // opcodes of the requests written, in order
}

// NewFaultDialer returns a dialer that passes everything through until a
// fault is injected.
func NewFaultDialer() *FaultDialer {
	return &FaultDialer{
		conns:  make(map[*faultConn]struct{}),
		healed: make(chan struct{}),
		done:   make(chan struct{}),
	}
}

// Dial connects like net.DialTimeout and wraps the connection. While the
// dialer black-holes, Dial blocks for timeout (until Heal or Close if
// timeout <= 0) and then fails with a timeout error, like a dial into a
// partitioned network.
func (d *FaultDialer) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	start := time.Now()
	d.mu.Lock()
	closed, blackholed, healed := d.closed, d.blackholed, d.healed
	d.mu.Unlock()
	if closed {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errDialerClosed}
	}
	if blackholed {
		return nil, d.blockDial(network, timeout, healed)
	}
	raw, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		raw.Close()
		return nil, &net.OpError{Op: "dial", Net: network, Err: errDialerClosed}
	}
	if d.blackholed {
		healed := d.healed
		d.mu.Unlock()
		raw.Close()
		if timeout > 0 {
			timeout -= time.Since(start)
			if timeout <= 0 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errPartitioned}
			}
		}
		return nil, d.blockDial(network, timeout, healed)
	}
	c := &faultConn{d: d, raw: raw, wake: make(chan struct{})}
	d.conns[c] = struct{}{}
	d.dials++
	d.mu.Unlock()
	return c, nil
}

func (d *FaultDialer) blockDial(network string, timeout time.Duration, healed <-chan struct{}) error {
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-t.C:
		case <-d.done:
		}
	} else {
		select {
		case <-healed:
		case <-d.done:
		}
	}
	return &net.OpError{Op: "dial", Net: network, Err: errPartitioned}
}

// Cut closes every live connection now. Their users see EOF on reads and
// EPIPE on writes; new dials succeed at once.
func (d *FaultDialer) Cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for c := range d.conns {
		if c.state == connOpen {
			c.setStateLocked(connCut)
		}
	}
}

// Blackhole partitions the network: live connections stop passing data in
// both directions without reporting errors (reads block until the read
// deadline or Close, writes are discarded and report success) while their
// TCP sockets are closed, so the server sees the client go away; new dials
// block for their timeout and then fail with a timeout error. Heal ends
// the partition for new dials only.
func (d *FaultDialer) Blackhole() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.blackholed {
		d.blackholed = true
		d.healed = make(chan struct{})
	}
	for c := range d.conns {
		if c.state == connOpen {
			c.setStateLocked(connBlackholed)
		}
	}
}

// Heal ends a partition: new dials succeed again. Black-holed connections
// stay dead; clients redial once their reads time out.
func (d *FaultDialer) Heal() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.blackholed {
		d.blackholed = false
		close(d.healed)
	}
}

// CutAfterRequest arms a one-shot fault: the next request written on any
// connection (the connect handshake excepted) whose ZooKeeper request
// header has this opcode is passed to the server completely, then the
// connection is closed as soon as the server's reply to it arrives, before
// the client can read it. The server has thus executed the request but the
// client sees the connection drop (go-zookeeper: zk.ErrConnectionClosed).
// Requests the client writes on that connection afterwards are discarded,
// and any other replies still in flight on it are lost, as with a real
// connection reset. Opcodes: see the Op* constants. A later call re-arms
// with the new opcode.
func (d *FaultDialer) CutAfterRequest(opcode int32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armed = true
	d.armedOp = opcode
}

// HoldWrites keeps back what clients write on every connection (those
// open now and later): writes return at once, and the bytes reach the
// server only after ReleaseWrites, in order, like requests stuck behind a
// slow uplink while replies and events still arrive. The requests count
// in Sent when written.
func (d *FaultDialer) HoldWrites() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.held = true
}

// ReleaseWrites passes on what HoldWrites kept back and ends the hold.
func (d *FaultDialer) ReleaseWrites() {
	d.mu.Lock()
	d.held = false
	conns := make([]*faultConn, 0, len(d.conns))
	for c := range d.conns {
		conns = append(conns, c)
	}
	d.mu.Unlock()
	for _, c := range conns {
		c.writeMu.Lock()
		if len(c.heldOut) > 0 {
			_, _ = c.raw.Write(c.heldOut)
			c.heldOut = nil
		}
		c.writeMu.Unlock()
	}
}

// Unknown makes the server see every later request with this opcode as
// one it does not know: the request goes out with an opcode no ZooKeeper
// has, which the server answers as unimplemented before it closes the
// connection (the session lives on). A ZooKeeper before 3.6 answers
// addWatch (OpAddWatch) so.
func (d *FaultDialer) Unknown(opcode int32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.unknown = append(d.unknown, opcode)
}

// unknownOpcode is what Unknown turns an opcode into.
const unknownOpcode = 9999

// Armed reports whether a CutAfterRequest is armed and has not fired yet.
func (d *FaultDialer) Armed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.armed
}

// Sent returns the opcodes of the requests written so far on every
// connection, in order (connect handshakes excepted, pings included: see
// the Op* constants). Tests use it to check which requests a recovery
// path makes.
func (d *FaultDialer) Sent() []int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.sent)
}

// Conns returns the number of live connections: dialed, not yet closed,
// cut or black-holed.
func (d *FaultDialer) Conns() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for c := range d.conns {
		if c.state == connOpen {
			n++
		}
	}
	return n
}

// Dials returns the total number of successful dials.
func (d *FaultDialer) Dials() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dials
}

// Close cuts every connection (black-holed ones included) and makes
// blocked and future dials fail at once. It is idempotent.
func (d *FaultDialer) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	close(d.done)
	for c := range d.conns {
		if c.state == connOpen || c.state == connBlackholed {
			c.setStateLocked(connCut)
		}
	}
	return nil
}

var (
	errDialerClosed = errors.New("zktest: FaultDialer closed")
	errPartitioned  = &timeoutError{"i/o timeout (zktest: network partitioned by FaultDialer)"}
)

type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

type connState int

const (
	connOpen       connState = iota
	connBlackholed           // socket closed; reads block, writes are discarded
	connCut                  // socket closed; reads EOF, writes EPIPE
	connClosed               // closed by its user
)

// faultConn is a net.Conn whose faults are controlled by its FaultDialer.
// Its state is guarded by d.mu; the framers by readMu and writeMu.
type faultConn struct {
	d   *FaultDialer
	raw net.Conn

	// guarded by d.mu
	state        connState
	rawClosed    bool
	cutPending   bool // the armed request was written; cut when its reply arrives
	cutXid       int32
	readDeadline time.Time
	wake         chan struct{} // closed and replaced when state or read deadline change

	readMu   sync.Mutex
	inFrames wire.Framer // server -> client
	writeMu  sync.Mutex
	outFrame wire.Framer // client -> server
	heldOut  []byte      // written while held, not yet passed on (writeMu)
}

func (c *faultConn) setStateLocked(s connState) {
	c.state = s
	if !c.rawClosed {
		c.rawClosed = true
		c.raw.Close()
	}
	c.wakeLocked()
}

func (c *faultConn) wakeLocked() {
	close(c.wake)
	c.wake = make(chan struct{})
}

func (c *faultConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.raw.LocalAddr(), Addr: c.raw.RemoteAddr(), Err: err}
}

func (c *faultConn) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	for {
		c.d.mu.Lock()
		st := c.state
		c.d.mu.Unlock()
		switch st {
		case connClosed:
			return 0, c.opError("read", net.ErrClosed)
		case connCut:
			return 0, io.EOF
		case connBlackholed:
			return 0, c.waitReadDeadline()
		}

		n, err := c.raw.Read(p)

		c.d.mu.Lock()
		st, pending, xid := c.state, c.cutPending, c.cutXid
		c.d.mu.Unlock()
		if st != connOpen {
			continue // the fault struck meanwhile: drop what was read
		}
		found := false
		c.inFrames.Feed(p[:n], func(h wire.Head) {
			if rxid, _, ok := wire.ReplyHeader(h.Bytes); ok && h.Index > 0 && rxid == xid {
				found = true
			}
		})
		if !pending {
			return n, err
		}
		// Waiting for the reply to the armed request: drop everything.
		if found || (err != nil && !isTimeout(err)) {
			c.d.mu.Lock()
			if c.state == connOpen {
				c.setStateLocked(connCut)
			}
			c.d.mu.Unlock()
			continue
		}
		if err != nil {
			return 0, err // the client's read deadline
		}
	}
}

// waitReadDeadline blocks a read on a black-holed connection until the read
// deadline passes (timeout error) or the connection is closed or cut.
func (c *faultConn) waitReadDeadline() error {
	for {
		c.d.mu.Lock()
		st, dl, wake := c.state, c.readDeadline, c.wake
		c.d.mu.Unlock()
		switch st {
		case connClosed:
			return c.opError("read", net.ErrClosed)
		case connCut:
			return io.EOF
		}
		var timer *time.Timer
		var expired <-chan time.Time
		if !dl.IsZero() {
			wait := time.Until(dl)
			if wait <= 0 {
				return c.opError("read", os.ErrDeadlineExceeded)
			}
			timer = time.NewTimer(wait)
			expired = timer.C
		}
		select {
		case <-wake:
		case <-expired:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

func (c *faultConn) Write(p []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	d := c.d
	d.mu.Lock()
	st, pending, armed, armedOp, held := c.state, c.cutPending, d.armed, d.armedOp, d.held
	unknown := slices.Clone(d.unknown)
	d.mu.Unlock()
	switch st {
	case connClosed:
		return 0, c.opError("write", net.ErrClosed)
	case connCut:
		return 0, c.opError("write", syscall.EPIPE)
	case connBlackholed:
		return len(p), nil
	}
	if pending {
		return len(p), nil
	}
	copied := false
	for off := 0; off < len(p); {
		n, h, ok := c.outFrame.Next(p[off:])
		off += n
		if !ok {
			continue
		}
		xid, op, ok := wire.RequestHeader(h.Bytes)
		if h.Index == 0 || !ok {
			continue // frame 0 is the connect request, which has no header
		}
		if body := off - len(h.Bytes); slices.Contains(unknown, op) && body >= 0 {
			if !copied {
				p, copied = slices.Clone(p), true
			}
			binary.BigEndian.PutUint32(p[body+4:], unknownOpcode)
		}
		d.mu.Lock()
		d.sent = append(d.sent, op)
		if armed && op == armedOp && d.armed && d.armedOp == op && c.state == connOpen && !c.cutPending {
			d.armed = false
			c.cutPending = true
			c.cutXid = xid
		}
		d.mu.Unlock()
	}
	if held || len(c.heldOut) > 0 {
		c.heldOut = append(c.heldOut, p...)
		if held {
			return len(p), nil
		}
		// Released meanwhile: what was held goes first.
		all := c.heldOut
		c.heldOut = nil
		if _, err := c.raw.Write(all); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	n, err := c.raw.Write(p)
	if err != nil {
		d.mu.Lock()
		st = c.state
		d.mu.Unlock()
		if st == connBlackholed {
			return len(p), nil
		}
	}
	return n, err
}

// Close closes the connection. Reads blocked on it return.
func (c *faultConn) Close() error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	if c.state == connClosed {
		return c.opError("close", net.ErrClosed)
	}
	c.setStateLocked(connClosed)
	delete(c.d.conns, c)
	return nil
}

func (c *faultConn) LocalAddr() net.Addr  { return c.raw.LocalAddr() }
func (c *faultConn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

func (c *faultConn) SetDeadline(t time.Time) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	c.readDeadline = t
	c.wakeLocked()
	if !c.rawClosed {
		_ = c.raw.SetDeadline(t)
	}
	return nil
}

func (c *faultConn) SetReadDeadline(t time.Time) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	c.readDeadline = t
	c.wakeLocked()
	if !c.rawClosed {
		_ = c.raw.SetReadDeadline(t)
	}
	return nil
}

func (c *faultConn) SetWriteDeadline(t time.Time) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	if !c.rawClosed {
		_ = c.raw.SetWriteDeadline(t)
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
