package sock

import (
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// replyFrame is a server frame: length, xid, zxid, err, then body.
func replyFrame(xid int32, zxid int64, body []byte) []byte {
	b := make([]byte, 20, 20+len(body))
	binary.BigEndian.PutUint32(b[0:], uint32(16+len(body)))
	binary.BigEndian.PutUint32(b[4:], uint32(xid))
	binary.BigEndian.PutUint64(b[8:], uint64(zxid))
	return append(b, body...)
}

func notification(typ int32, path string) []byte {
	e := wire.NewRequest(typ, 3) // type, state: the same layout as two int32s
	e.String(path)
	return replyFrame(wire.XidWatchEvent, -1, e.Frame()[4:])
}

// The reader takes the replies to our own requests out of the stream,
// passes everything else on unchanged, fires watches on events (which
// go-zookeeper sees too) and records the latest reply zxid.
func TestConn_FiltersOwnRepliesAndFiresWatches(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	var set Set
	sc := set.Add(client, "pipe").(*conn)
	w := &Watcher{key: watchKey{"/a", kindData}, ch: make(chan zk.Event, 1), set: &set}
	set.reg.add(w)
	watch := w.C()
	own := &call{on: sc, reply: make(chan answer, 1)}
	set.calls = map[int32]*call{-1001: own}

	handshake := make([]byte, 40)
	binary.BigEndian.PutUint32(handshake[0:4], 36)
	binary.BigEndian.PutUint32(handshake[8:12], 4000)
	binary.BigEndian.PutUint64(handshake[12:20], 0x77)
	big := make([]byte, 3*readBufSize) // a reply larger than the buffer
	frames := [][]byte{
		handshake,
		replyFrame(5, 10, []byte("abcdefgh")),
		replyFrame(-1001, 11, []byte("ours")),
		notification(wire.EventNodeDataChanged, "/a"),
		replyFrame(6, 12, big),
		replyFrame(-1002, 13, nil), // a reply whose caller gave up: dropped
		replyFrame(7, 0, nil),      // an error reply: no zxid
	}
	written := make(chan []byte, 1) // what the client writes: the setWatches for /a
	go func() {
		b, _ := io.ReadAll(server)
		written <- b
	}()
	go func() {
		for _, f := range frames {
			for len(f) > 0 { // in odd pieces
				n := min(len(f), 7)
				if _, err := server.Write(f[:n]); err != nil {
					return
				}
				f = f[n:]
			}
		}
	}()

	var got [][]byte
	for len(got) < 5 {
		var n [4]byte
		if _, err := io.ReadFull(sc, n[:]); err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		body := make([]byte, binary.BigEndian.Uint32(n[:]))
		_, err := io.ReadFull(sc, body)
		require.NoError(t, err)
		got = append(got, append(n[:], body...))
	}
	sc.Close()
	want := [][]byte{frames[0], frames[1], frames[3], frames[4], frames[6]}
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], got[i], "frame %d", i)
	}
	a := <-own.reply
	require.NoError(t, a.err)
	assert.Equal(t, "ours", string(a.r.Body))
	assert.EqualValues(t, 11, a.r.Zxid)
	ev := <-watch
	assert.Equal(t, zk.EventNodeDataChanged, ev.Type)
	assert.Equal(t, "/a", ev.Path)
	assert.EqualValues(t, 13, set.lastZxid.Load())
	assert.EqualValues(t, 0x77, set.SessionID())

	sw := <-written
	require.Greater(t, len(sw), 12)
	assert.Equal(t, wire.OpSetWatches, wire.RequestOpcode(sw))
	d := wire.NewDecoder(sw[12:])
	assert.EqualValues(t, 0, d.Int64(), "relative to the zxid seen before this connection")
	assert.Equal(t, []string{"/a"}, d.Strings())
}
