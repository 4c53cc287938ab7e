package zkrecipes_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A ZooKeeper 3.8 server that is still starting accepts connections and
// may never answer them (seen in CI: its close path fails with a
// NullPointerException). go-zookeeper waits ten read timeouts for the
// connect response (27 s for a 4 s session); the client bounds that wait
// (see handshakeTimeout) and tries again. Here the first connection goes
// to a listener that never answers, the next ones to the server.
func TestIntegration_Connect_SilentHandshakeIsRetried(t *testing.T) {
	zktest.SkipIfShort(t)
	target := zktest.Servers(t)[0]
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		var silent net.Conn
		for first := true; ; first = false {
			c, err := l.Accept()
			if err != nil {
				if silent != nil {
					silent.Close()
				}
				return
			}
			if first {
				silent = c // accepted, never answered
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(s, c); s.Close() }()
			go func() { defer wg.Done(); io.Copy(c, s); c.Close() }()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	c, err := zkrecipes.Connect(ctx, []string{l.Addr().String()}, zkrecipes.WithSessionTimeout(4*time.Second))
	require.NoError(t, err, "connect through a server that did not answer the first handshake")
	defer c.Close()
	require.Less(t, time.Since(start), 5*time.Second)
}

// Connect gives up at its deadline against a server that accepts and
// never answers, not a second later (go-zookeeper's Close waits that
// second for a close request no loop will send).
func TestIntegration_Connect_GivesUpAtItsDeadline(t *testing.T) {
	zktest.SkipIfShort(t)
	hole, err := net.Listen("tcp", "127.0.0.1:0") // the kernel accepts; nobody answers
	require.NoError(t, err)
	defer hole.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err = zkrecipes.Connect(ctx, []string{hole.Addr().String()})
	took := time.Since(start)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	t.Logf("gave up after %v", took)
	require.Less(t, took, 1500*time.Millisecond)
}
