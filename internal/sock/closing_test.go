package sock

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closedWithin reports whether the peer of a pipe end sees it closed.
func closedWithin(t *testing.T, peer net.Conn, d time.Duration) bool {
	t.Helper()
	if err := peer.SetReadDeadline(time.Now().Add(d)); err != nil {
		return err == io.ErrClosedPipe // a pipe says so here already
	}
	_, err := peer.Read(make([]byte, 1))
	return err == io.EOF || err == io.ErrClosedPipe
}

// A connection dialled before CloseAll and added after it is closed at
// once: nothing else would close it.
func TestSet_AddAfterCloseAllCloses(t *testing.T) {
	var set Set
	set.CloseAll()
	client, server := net.Pipe()
	defer server.Close()
	set.Add(client, "pipe")
	assert.True(t, closedWithin(t, server, 5*time.Second))
}

// A connect response that refuses the session (id 0: it expired) reaches
// go-zookeeper whole, and then the socket is closed: go-zookeeper reads
// nothing more from it and never closes it itself.
func TestConn_RefusedSessionClosesTheSocket(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	var set Set
	sc := set.Add(client, "pipe")
	handshake := make([]byte, 41)
	binary.BigEndian.PutUint32(handshake[0:4], 37)
	binary.BigEndian.PutUint32(handshake[8:12], 4000) // timeout; session id 0
	go func() { _, _ = server.Write(handshake) }()
	got := make([]byte, len(handshake))
	_, err := io.ReadFull(sc, got[:4])
	require.NoError(t, err)
	_, err = io.ReadFull(sc, got[4:])
	require.NoError(t, err)
	assert.Equal(t, handshake, got, "the response reaches go-zookeeper whole")
	assert.True(t, closedWithin(t, server, 5*time.Second), "the socket is closed")
}
