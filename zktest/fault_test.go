package zktest_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestFaultCutKeepsSession(t *testing.T) {
	zktest.SkipIfShort(t)
	d := zktest.NewFaultDialer()
	t.Cleanup(func() { d.Close() })
	c := connect(t, zktest.Servers(t), 5*time.Second, d.Dial)
	p := testPath(t, c)
	sid := c.SessionID()
	require.Equal(t, 1, d.Dials())
	require.Equal(t, 1, d.Conns())

	d.Cut()
	waitFor(t, 10*time.Second, "a reconnect", func() bool {
		return d.Dials() == 2 && c.State() == zk.StateHasSession
	})
	require.Equal(t, sid, c.SessionID(), "same session after a cut")
	require.Equal(t, 1, d.Conns())
	ok, _, err := c.Exists(p)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestFaultBlackholeExpiresSession(t *testing.T) {
	zktest.SkipIfShort(t)
	servers := zktest.Servers(t)
	d := zktest.NewFaultDialer()
	t.Cleanup(func() { d.Close() })
	c := connect(t, servers, time.Second, d.Dial)
	observer := connect(t, servers, 10*time.Second, nil)
	p := testPath(t, observer)
	sid := c.SessionID()
	_, err := c.Create(p+"/eph", nil, zk.FlagEphemeral, acl)
	require.NoError(t, err)

	d.Blackhole()
	require.Equal(t, 0, d.Conns())
	// The server expires the session and deletes its ephemeral.
	waitFor(t, 20*time.Second, "the session to expire on the server", func() bool {
		ok, _, err := observer.Exists(p + "/eph")
		return err == nil && !ok
	})
	require.NotEqual(t, zk.StateHasSession, c.State(), "client cut off")
	dials := d.Dials()
	require.Equal(t, 1, dials, "no dial succeeds during the partition")

	d.Heal()
	waitFor(t, 20*time.Second, "a new session", func() bool {
		return c.State() == zk.StateHasSession && c.SessionID() != 0 && c.SessionID() != sid
	})
	// go-zookeeper v1.0.4 does not close the connection on which the server
	// rejected the expired session (the server closes its end), so Conns
	// may count it: expect 3 dials (expired handshake, new session).
	require.Equal(t, 3, d.Dials())
	_, err = c.Create(p+"/eph2", nil, zk.FlagEphemeral, acl)
	require.NoError(t, err)
}

func TestFaultCutAfterRequest(t *testing.T) {
	zktest.SkipIfShort(t)
	servers := zktest.Servers(t)
	d := zktest.NewFaultDialer()
	t.Cleanup(func() { d.Close() })
	c := connect(t, servers, 10*time.Second, d.Dial)
	observer := connect(t, servers, 10*time.Second, nil)
	p := testPath(t, observer)
	sid := c.SessionID()

	// Other requests pass while armed.
	d.CutAfterRequest(zktest.OpCreate)
	require.True(t, d.Armed())
	_, _, err := c.Get(p)
	require.NoError(t, err)

	_, err = c.Create(p+"/x", []byte("v"), 0, acl)
	require.ErrorIs(t, err, zk.ErrConnectionClosed)
	require.False(t, d.Armed())

	// The create took effect although the client saw the connection drop.
	data, _, err := observer.Get(p + "/x")
	require.NoError(t, err)
	require.Equal(t, "v", string(data))

	waitFor(t, 10*time.Second, "a reconnect", func() bool {
		return d.Dials() == 2 && c.State() == zk.StateHasSession
	})
	require.Equal(t, sid, c.SessionID())
	_, err = c.Create(p+"/x", nil, 0, acl)
	require.ErrorIs(t, err, zk.ErrNodeExists, "only one cut per arming")
}

// A fake server for the dialer's own mechanics, without ZooKeeper.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				io.Copy(conn, conn)
			}()
		}
	}()
	return l.Addr().String()
}

func TestFaultBlackholeReadDeadlineAndClose(t *testing.T) {
	addr := echoServer(t)
	d := zktest.NewFaultDialer()
	defer d.Close()
	conn, err := d.Dial("tcp", addr, time.Second)
	require.NoError(t, err)
	_, err = conn.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(conn, buf)
	require.NoError(t, err)
	require.Equal(t, "ping", string(buf))

	d.Blackhole()
	n, err := conn.Write([]byte("lost"))
	require.NoError(t, err, "writes are swallowed")
	require.Equal(t, 4, n)

	// A read blocks until its deadline (measured from a start taken
	// before the deadline is computed: a loaded machine may pause between
	// the two).
	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(start.Add(100*time.Millisecond)))
	_, err = conn.Read(buf)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)

	// A read without a deadline blocks until Close, which a moved deadline
	// does not disturb.
	require.NoError(t, conn.SetReadDeadline(time.Time{}))
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Read(buf)
		errc <- err
	}()
	require.NoError(t, conn.SetDeadline(time.Time{}))
	require.NoError(t, conn.Close())
	require.ErrorIs(t, <-errc, net.ErrClosed)

	// Dials time out during the partition, and work after Heal.
	start = time.Now()
	_, err = d.Dial("tcp", addr, 150*time.Millisecond)
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "timeout error: %v", err)
	require.GreaterOrEqual(t, time.Since(start), 140*time.Millisecond)
	d.Heal()
	conn, err = d.Dial("tcp", addr, time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.Equal(t, 1, d.Conns())
	require.Equal(t, 2, d.Dials())

	// A cut makes blocked reads fail at once.
	go func() {
		_, err := conn.Read(buf)
		errc <- err
	}()
	d.Cut()
	require.ErrorIs(t, <-errc, io.EOF)
	_, err = conn.Write([]byte("x"))
	require.Error(t, err)
	require.Equal(t, 0, d.Conns())
}

func TestFaultCloseReleasesBlockedDial(t *testing.T) {
	d := zktest.NewFaultDialer()
	d.Blackhole()
	errc := make(chan error, 1)
	go func() {
		_, err := d.Dial("tcp", "127.0.0.1:1", 0) // would block until Heal
		errc <- err
	}()
	require.NoError(t, d.Close())
	require.Error(t, <-errc)
	_, err := d.Dial("tcp", "127.0.0.1:1", time.Second)
	require.Error(t, err)
}

// packet frames a ZooKeeper packet: length, then body.
func packet(body ...int32) []byte {
	b := make([]byte, 4+4*len(body))
	binary.BigEndian.PutUint32(b, uint32(4*len(body)))
	for i, v := range body {
		binary.BigEndian.PutUint32(b[4+4*i:], uint32(v))
	}
	return b
}

// TestFaultCutAfterRequestFraming checks request matching against a fake
// server that replies to every request packet with a packet carrying the
// request's xid: the first packet (handshake) never matches, a request
// split over several writes matches, and the reply is never delivered.
func TestFaultCutAfterRequestFraming(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	received := make(chan []int32, 10)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			var hdr [4]byte
			if _, err := io.ReadFull(conn, hdr[:]); err != nil {
				return
			}
			body := make([]byte, binary.BigEndian.Uint32(hdr[:]))
			if _, err := io.ReadFull(conn, body); err != nil {
				return
			}
			xid, op := int32(binary.BigEndian.Uint32(body)), int32(binary.BigEndian.Uint32(body[4:]))
			received <- []int32{xid, op}
			if _, err := conn.Write(packet(xid, 0, 0, 0)); err != nil {
				return
			}
		}
	}()

	d := zktest.NewFaultDialer()
	defer d.Close()
	conn, err := d.Dial("tcp", l.Addr().String(), time.Second)
	require.NoError(t, err)
	defer conn.Close()
	readReply := func() (int32, error) {
		var b [20]byte
		if _, err := io.ReadFull(conn, b[:]); err != nil {
			return 0, err
		}
		return int32(binary.BigEndian.Uint32(b[4:])), nil
	}

	d.CutAfterRequest(zktest.OpCreate)
	// Handshake whose second word looks like the create opcode.
	_, err = conn.Write(packet(0, 1))
	require.NoError(t, err)
	require.Equal(t, []int32{0, 1}, <-received)
	xid, err := readReply()
	require.NoError(t, err)
	require.Equal(t, int32(0), xid)
	require.True(t, d.Armed())

	// Another opcode passes.
	_, err = conn.Write(packet(7, zktest.OpExists))
	require.NoError(t, err)
	<-received
	xid, err = readReply()
	require.NoError(t, err)
	require.Equal(t, int32(7), xid)

	// The armed opcode, split over writes.
	p := packet(8, zktest.OpCreate, 42)
	for _, part := range [][]byte{p[:3], p[3:9], p[9:]} {
		n, err := conn.Write(part)
		require.NoError(t, err)
		require.Equal(t, len(part), n)
	}
	require.False(t, d.Armed())
	require.Equal(t, []int32{8, zktest.OpCreate}, <-received, "request reached the server")
	_, err = readReply()
	require.ErrorIs(t, err, io.EOF, "reply withheld, connection cut")
	require.Equal(t, 0, d.Conns())
}

// Held writes reach the server only once released, in order, while the
// connection stays up.
func TestFaultHoldWrites(t *testing.T) {
	zktest.SkipIfShort(t)
	d := zktest.NewFaultDialer()
	t.Cleanup(func() { d.Close() })
	c := connect(t, zktest.Servers(t), 5*time.Second, d.Dial)
	other := connect(t, zktest.Servers(t), 5*time.Second, nil)
	p := testPath(t, c)

	d.HoldWrites()
	from := len(d.Sent())
	done := make(chan error, 2)
	go func() { _, err := c.Create(p+"/a", nil, 0, acl); done <- err }()
	creates := func() int {
		n := 0
		for _, op := range d.Sent()[from:] {
			if op == zktest.OpCreate {
				n++
			}
		}
		return n
	}
	waitFor(t, 10*time.Second, "the first create written", func() bool { return creates() == 1 })
	go func() { _, err := c.Create(p+"/b", nil, 0, acl); done <- err }()
	waitFor(t, 10*time.Second, "the second create written", func() bool { return creates() == 2 })
	kids, _, err := other.Children(p)
	require.NoError(t, err)
	require.Empty(t, kids, "nothing held reached the server")

	d.ReleaseWrites()
	require.NoError(t, <-done)
	require.NoError(t, <-done)
	kids, _, err = other.Children(p)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"a", "b"}, kids)
	require.Equal(t, 1, d.Dials(), "the connection stayed up")
}
