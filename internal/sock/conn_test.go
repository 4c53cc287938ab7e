package sock

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// conn reads ahead what the socket holds, hands it out in the pieces
// go-zookeeper asks for, and reports the socket's error only after that.
func TestConn_BuffersReadsAndSniffsTheConnectReply(t *testing.T) {
	client, server := net.Pipe()
	var set Set
	sc := set.Add(client, "pipe")
	reply := make([]byte, 20) // length, protocolVersion, timeOut, sessionId
	binary.BigEndian.PutUint32(reply[0:4], 36)
	binary.BigEndian.PutUint32(reply[8:12], 4000)
	binary.BigEndian.PutUint64(reply[12:20], 0x1234)
	body := bytes.Repeat([]byte{7}, 3*readBufSize)
	go func() {
		server.Write(append(reply, 1, 2, 3, 4)) // one segment: several reads
		server.Write(body)                      // larger than the buffer
		server.Close()
	}()
	var got []byte
	for _, n := range []int{4, 16, 4} {
		p := make([]byte, n)
		_, err := io.ReadFull(sc, p)
		require.NoError(t, err)
		got = append(got, p...)
	}
	assert.Equal(t, append(reply, 1, 2, 3, 4), got)
	rest := make([]byte, 16) // the connect response ends: it is acted on
	_, err := io.ReadFull(sc, rest)
	require.NoError(t, err)
	body = body[16:]
	assert.Equal(t, 4*time.Second, set.Timeout())
	assert.EqualValues(t, 0x1234, set.SessionID())
	assert.True(t, set.Established())
	big := make([]byte, len(body))
	_, err = io.ReadFull(sc, big)
	require.NoError(t, err)
	assert.Equal(t, body, big)
	_, err = sc.Read(make([]byte, 4))
	assert.True(t, errors.Is(err, io.EOF), "after the data, the socket's error: %v", err)
	assert.NotZero(t, set.lastRead.Load())
}
