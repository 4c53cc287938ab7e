package zkrecipes_test

import (
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/wire"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A connection can end with a setWatches request still in go-zookeeper's
// send queue; go-zookeeper then writes it first on the next connection.
// The hold of session 5 (beneath go-zookeeper, released by the first
// setWatches written after a reconnection) took that stale request for
// the new connection's own, and a clean-clone CI run reported the race
// once. This test builds the case on purpose, 10 times, with
// go-zookeeper's goroutines starved: the sending goroutine is stuck
// writing a request when the connection is cut, so whatever is queued
// behind it is left for the next connection. It did not show the race on
// the old hold in 3 runs: the race detector orders every socket write
// before every later socket read in the process, so only a rare schedule
// shows it. With zkrecipes' own watches go-zookeeper sets none again, and
// the test checks what matters besides: every watch still fires for a
// change made while its client was disconnected.
func TestIntegration_Client_StaleSetWatchesRaceFree(t *testing.T) {
	zktest.SkipIfShort(t)
	d := &trapDialer{}
	ns := zktest.Namespace(t)
	c := zktest.ClientAt(t, zktest.Servers(t), ns, zkrecipes.WithDialer(d.Dial), zkrecipes.WithSessionTimeout(10*time.Second))
	writer := zktest.ClientAt(t, zktest.Servers(t), ns)
	ctx := zktest.Context(t, 3*time.Minute)
	_, err := c.Create(ctx, "/w", []byte("0"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)

	// Starve go-zookeeper's goroutines (one P, a goroutine that never
	// yields): the race detector sees the race only when the new
	// connection's first reply is read before any write that follows
	// setWatches' read (every socket write orders every later read).
	starve(t)

	sub := c.Subscribe()
	defer sub.Close()
	sess := c.Session()
	for i := 0; i < 10; i++ {
		_, _, watch, err := c.GetW(ctx, "/w")
		require.NoError(t, err)

		// The next connection's first sync write blocks until the
		// connection is cut, so anything queued behind it stays unsent.
		// The sync (a request go-zookeeper sends: zkrecipes writes its
		// own writes itself) is queued while the client is disconnected
		// (the next dial waits for it), so it goes out first.
		trapped, gate := d.arm(wire.OpSync)
		d.Cut()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = c.Sync(ctx, "/w")
		}()
		queued := waitStack(t, "zk.(*Conn).Sync(", 10*time.Second)
		close(gate)
		if !queued {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			for _, g := range strings.Split(string(buf[:n]), "\n\n") {
				if strings.Contains(g, "zkrecipes") {
					t.Log(g)
				}
			}
			t.Fatal("the sync was never queued")
		}
		select {
		case <-trapped:
		case <-ctx.Done():
			t.Fatal("the trapped write never came")
		}
		// Wait (bounded) for go-zookeeper's setWatches goroutine, if it
		// has one, to queue its request behind the trapped write.
		t.Logf("round %d: setWatches queued: %v", i, waitStack(t, "sendSetWatches.func1", time.Second))
		_, err = writer.Set(ctx, "/w", []byte{byte(i)}, -1) // a change the watch must report
		require.NoError(t, err)
		d.Cut() // ends the trapped write: the queue goes to the next connection
		<-done
		waitReconnected(t, sub, 30*time.Second)
		require.Same(t, sess, c.Session(), "the session survives every reconnection")
		select {
		case ev := <-watch:
			require.Equal(t, zk.EventNodeDataChanged, ev.Type, "event %+v", ev)
		case <-ctx.Done():
			t.Fatalf("round %d: the watch never fired for a change made while disconnected", i)
		}
	}
}

// waitStack waits up to within for a goroutine blocked in a function
// whose name contains fn, and reports whether it saw one.
func waitStack(t *testing.T, fn string, within time.Duration) bool {
	t.Helper()
	buf := make([]byte, 1<<20)
	for end := time.Now().Add(within); time.Now().Before(end); runtime.Gosched() {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			head, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, fn) && (strings.Contains(head, "chan receive") || strings.Contains(head, "select")) {
				return true
			}
		}
	}
	return false
}

// trapDialer dials plain TCP (see tcpDialer) and can make the next
// connection's first write of a given opcode block until that
// connection is cut.
type trapDialer struct {
	tcpDialer
	mu      sync.Mutex
	trap    *trap
	trapped []*trapConn
}

// Cut closes every connection and ends any trapped write.
func (d *trapDialer) Cut() {
	d.mu.Lock()
	for _, c := range d.trapped {
		c.cutOnce.Do(func() { close(c.cut) })
	}
	d.trapped = nil
	d.mu.Unlock()
	d.tcpDialer.Cut()
}

type trap struct {
	op   int32
	hit  chan struct{}
	once sync.Once
	gate chan struct{} // the dial waits until it is closed
}

// arm sets a trap for the next connection, dialled once gate is closed.
func (d *trapDialer) arm(op int32) (hit <-chan struct{}, gate chan<- struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.trap = &trap{op: op, hit: make(chan struct{}), gate: make(chan struct{})}
	return d.trap.hit, d.trap.gate
}

func (d *trapDialer) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	d.mu.Lock()
	tr := d.trap
	d.trap = nil
	d.mu.Unlock()
	if tr != nil {
		<-tr.gate
	}
	nc, err := d.tcpDialer.Dial(network, address, timeout)
	if err != nil || tr == nil {
		return nc, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	tc := &trapConn{Conn: nc, trap: tr, cut: make(chan struct{})}
	d.trapped = append(d.trapped, tc)
	return tc, nil
}

type trapConn struct {
	net.Conn
	trap    *trap
	cut     chan struct{}
	cutOnce sync.Once
	sprung  bool // only the writing goroutine touches it
}

func (c *trapConn) Write(p []byte) (int, error) {
	if !c.sprung && wire.RequestOpcode(p) == c.trap.op {
		c.sprung = true
		c.trap.once.Do(func() { close(c.trap.hit) })
		<-c.cut
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

func (c *trapConn) Close() error {
	c.cutOnce.Do(func() { close(c.cut) })
	return c.Conn.Close()
}
