package chaos

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinkDelaysWritesInOrder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()

	l := newLink()
	defer l.close()
	c, err := l.Dial("tcp", ln.Addr().String(), time.Second)
	require.NoError(t, err)
	srv := <-accepted
	require.NotNil(t, srv)
	defer srv.Close()

	const latency = 150 * time.Millisecond
	l.setLatency(latency)
	start := time.Now()
	for _, s := range []string{"one ", "two ", "three"} {
		n, err := c.Write([]byte(s))
		require.NoError(t, err)
		require.Equal(t, len(s), n)
	}
	assert.Less(t, time.Since(start), latency, "writes must not block for the latency")
	buf := make([]byte, len("one two three"))
	require.NoError(t, srv.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadFull(srv, buf)
	require.NoError(t, err)
	assert.Equal(t, "one two three", string(buf))
	assert.GreaterOrEqual(t, time.Since(start), latency)

	l.setLatency(0)
	_, err = c.Write([]byte("x"))
	require.NoError(t, err)
	_, err = io.ReadFull(srv, buf[:1])
	require.NoError(t, err)

	require.NoError(t, c.Close())
	assert.ErrorIs(t, c.Close(), net.ErrClosed)
	_, err = c.Write([]byte("y"))
	assert.Error(t, err)
}

func TestLinkCutReportsWriteErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c)
		}
	}()
	l := newLink()
	defer l.close()
	c, err := l.Dial("tcp", ln.Addr().String(), time.Second)
	require.NoError(t, err)
	defer c.Close()
	l.fd.Cut()
	assert.Eventually(t, func() bool {
		_, err := c.Write([]byte("after the cut"))
		return err != nil
	}, 5*time.Second, 10*time.Millisecond)
}
