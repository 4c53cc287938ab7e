package sock

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// reply is a server frame: length, xid, zxid, err, then body.
func reply(xid int32, zxid int64, body int) []byte {
	b := make([]byte, 20+body)
	binary.BigEndian.PutUint32(b[0:], uint32(16+body))
	binary.BigEndian.PutUint32(b[4:], uint32(xid))
	binary.BigEndian.PutUint64(b[8:], uint64(zxid))
	return b
}

// handshakeReply is a connect response of the usual size.
func handshakeReply() []byte {
	b := make([]byte, 40)
	binary.BigEndian.PutUint32(b, 36)
	return b
}

// request is a client frame with the given opcode.
func request(op int32) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint32(b[0:], 12)
	binary.BigEndian.PutUint32(b[8:], uint32(op))
	return b
}

func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		s, _ := l.Accept()
		accepted <- s
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	server = <-accepted
	require.NotNil(t, server)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// readFrames reads whole frames off r the way go-zookeeper does (length,
// then the rest) and sends each on the returned channel.
func readFrames(r io.Reader) <-chan []byte {
	out := make(chan []byte, 16)
	go func() {
		defer close(out)
		for {
			var n [4]byte
			if _, err := io.ReadFull(r, n[:]); err != nil {
				return
			}
			b := make([]byte, 4+binary.BigEndian.Uint32(n[:]))
			copy(b, n[:])
			if _, err := io.ReadFull(r, b[4:]); err != nil {
				return
			}
			out <- b
		}
	}()
	return out
}

func next(t *testing.T, frames <-chan []byte, what string) []byte {
	t.Helper()
	select {
	case f, ok := <-frames:
		require.True(t, ok, "connection ended before %s", what)
		return f
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was not passed on", what)
		return nil
	}
}

// The hold passes the handshake, replies without a zxid (setAuth), pings
// and watch events, and holds the first reply go-zookeeper takes lastZxid
// from until setWatches is written, however long that takes. The
// time-bounded hold this replaced held the setAuth reply (go-zookeeper
// waits for it before it writes anything else, setWatches included) and
// let the zxid reply through when its timer fired.
func TestHoldConn_HoldsOnlyZxidRepliesUntilSetWatches(t *testing.T) {
	cc, sc := tcpPair(t)
	h := newHoldConn(cc)
	frames := readFrames(h)

	_, err := h.Write(request(wire.OpSetWatches)) // the connect request: no opcode, whatever its bytes
	require.NoError(t, err)
	for _, f := range [][]byte{handshakeReply(), reply(1, 0, 0), reply(wire.XidPing, 9, 0), reply(wire.XidWatchEvent, -1, 30)} {
		_, err := sc.Write(f)
		require.NoError(t, err)
		assert.Equal(t, f, next(t, frames, "a frame that sets no lastZxid"))
	}
	held := reply(2, 7, 100)
	_, err = sc.Write(append(held, reply(3, 8, 0)...))
	require.NoError(t, err)
	_, err = h.Write(request(wire.OpGetData))
	require.NoError(t, err)
	select {
	case f := <-frames:
		t.Fatalf("a reply with a zxid was passed on before setWatches: % x", f[:16])
	case <-time.After(3 * holdLimitBefore):
	}
	_, err = h.Write(request(wire.OpSetWatches))
	require.NoError(t, err)
	assert.Equal(t, held, next(t, frames, "the held reply"))
	assert.Equal(t, reply(3, 8, 0), next(t, frames, "the reply after it"))
}

// holdLimitBefore is the longest the time-bounded hold waited.
const holdLimitBefore = time.Second

// Close releases a reader held for setWatches, with an error and without
// the held reply: go-zookeeper's sender closes the connection when a write
// fails, possibly before the connection goroutine read lastZxid, and the
// reply passed on then would race it (a clean-clone CI run caught that).
func TestHoldConn_CloseReleasesWithoutTheHeldReply(t *testing.T) {
	cc, sc := tcpPair(t)
	h := newHoldConn(cc)
	frames := readFrames(h)
	_, err := sc.Write(append(handshakeReply(), reply(5, 11, 0)...))
	require.NoError(t, err)
	next(t, frames, "the handshake")
	require.NoError(t, h.Close())
	select {
	case f, ok := <-frames:
		assert.False(t, ok, "the held reply was passed on after Close: % x", f)
	case <-time.After(10 * time.Second):
		t.Fatal("the reader stayed held after Close")
	}
}

// frameScan finds the same frame however the bytes are split.
func TestFrameScan_AnySplit(t *testing.T) {
	stream := append(append(append(handshakeReply(), reply(1, 0, 3)...), reply(-2, 4, 0)...), reply(4, 6, 8)...)
	want := len(stream) - len(reply(4, 6, 8)) + 4 + wire.HeadSize
	for _, size := range []int{1, 2, 3, 5, 7, 16, 17, 40, 41, len(stream)} {
		var s frameScan
		passed := 0
		for i := 0; i < len(stream); i += size {
			chunk := stream[i:min(i+size, len(stream))]
			n := s.feed(chunk)
			passed += n
			if n < len(chunk) {
				break
			}
		}
		assert.Equal(t, want, passed, "chunks of %d", size)
	}
}
