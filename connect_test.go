package zkrecipes_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A name that does not resolve (a pod of the ensemble being restarted)
// does not keep Connect from the other servers: names are resolved when
// dialled, not all at once up front.
func TestIntegration_Connect_UnresolvableNameConnectsToOthers(t *testing.T) {
	zktest.SkipIfShort(t)
	servers := append([]string{"zk-down.invalid:2181"}, zktest.Servers(t)...)
	for range 3 { // the servers are shuffled: try both orders, likely
		ctx := zktest.Context(t, 20*time.Second)
		c, err := zkrecipes.Connect(ctx, servers, zkrecipes.WithSessionTimeout(4*time.Second))
		require.NoError(t, err)
		_, _, err = c.Exists(ctx, "/")
		assert.NoError(t, err)
		c.Close()
	}
}

// countingDialer counts dials and passes them to net.DialTimeout.
type countingDialer struct{ n atomic.Int64 }

func (d *countingDialer) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	d.n.Add(1)
	return net.DialTimeout(network, address, timeout)
}

// With no server listening, Connect returns at its deadline, says why the
// last attempt failed, and backs off rather than hammering the address.
func TestConnect_NoServerFailsAtDeadlineWithCause(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close() // nobody listens there now: connection refused
	var d countingDialer
	const wait = 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	start := time.Now()
	_, err = zkrecipes.Connect(ctx, []string{addr}, zkrecipes.WithDialer(d.Dial))
	took := time.Since(start)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "connection refused", "the error says why")
	assert.Less(t, took, wait+300*time.Millisecond, "Connect overshot its deadline")
	t.Logf("returned after %v with %d dials: %v", took, d.n.Load(), err)
	assert.LessOrEqual(t, d.n.Load(), int64(15), "a dead address is redialled with backoff")
}

// A server that accepts connections and never answers (a black hole past
// the TCP handshake) does not hold Connect past its deadline either.
func TestConnect_SilentServerReturnsAtDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 64)
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- nc // held open, never answered
		}
	}()
	defer func() {
		for {
			select {
			case nc := <-accepted:
				nc.Close()
			default:
				return
			}
		}
	}()
	const wait = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	start := time.Now()
	_, err = zkrecipes.Connect(ctx, []string{l.Addr().String()})
	took := time.Since(start)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	// Up to a second of it is go-zookeeper's Close, which waits that long
	// for its close request on a connection that never finished a handshake.
	assert.Less(t, took, wait+1300*time.Millisecond, "Connect overshot its deadline")
	t.Logf("returned after %v: %v", took, err)
}
