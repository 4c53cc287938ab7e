package zkrecipes_test

import (
	"context"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// go-zookeeper reads its lastZxid when it sets its watches again after a
// reconnection while its receive loop writes it for the first replies
// (go-zookeeper/zk#35; zkrecipes keeps its watches itself, see
// internal/sock/watchops.go, so go-zookeeper has none to set). This test
// reconnects a client that holds watches and has credentials to resend,
// with requests queued for the new connection and go-zookeeper's
// goroutines starved (one P, a goroutine that never yields), 200 times.
// Under -race any unordered pair of those accesses fails the test; it
// failed on the time-bounded hold of session 4.
//
// The connections are plain TCP: zktest.FaultDialer's connections take a
// lock on every read deadline and write, which orders go-zookeeper's
// goroutines and hides the race from the detector.
func TestIntegration_Client_ReconnectsRaceFreeWhenStarved(t *testing.T) {
	zktest.SkipIfShort(t)
	const reconnections = 200
	d := &tcpDialer{}
	c := zktest.Client(t, zkrecipes.WithDialer(d.Dial), zkrecipes.WithDigestAuth("racer", "secret"),
		zkrecipes.WithSessionTimeout(10*time.Second))
	ctx := zktest.Context(t, 5*time.Minute)
	_, err := c.Create(ctx, "/w", []byte("0"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	_, _, _, err = c.GetW(ctx, "/w")
	require.NoError(t, err)

	starve(t)

	sub := c.Subscribe()
	defer sub.Close()
	sess := c.Session()
	for i := 0; i < reconnections; i++ {
		dials := d.Dials()
		d.Cut()
		// Requests issued while disconnected are queued and go out on the
		// new connection ahead of setWatches: their replies carry zxids.
		var ops sync.WaitGroup
		for j := 0; j < 3; j++ {
			ops.Add(1)
			go func() {
				defer ops.Done()
				_, _ = c.Set(ctx, "/w", []byte(strconv.Itoa(i)), -1)
			}()
		}
		waitReconnected(t, sub, 30*time.Second)
		ops.Wait()
		require.Greater(t, d.Dials(), dials)
		require.Same(t, sess, c.Session(), "the session survives every reconnection")
		_, _, _, err := c.GetW(ctx, "/w")
		require.NoError(t, err)
	}
}

// starve leaves go-zookeeper's goroutines one P, shared with a goroutine
// that never yields, until the end of the test.
func starve(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	stop := make(chan struct{})
	var busy sync.WaitGroup
	busy.Add(1)
	go func() { // hogs the one P until preempted, every time it runs
		defer busy.Done()
		for n := 0; ; n++ {
			if n%(1<<16) == 0 {
				select {
				case <-stop:
					return
				default:
				}
			}
		}
	}()
	t.Cleanup(func() { close(stop); busy.Wait(); runtime.GOMAXPROCS(prev) })
}

// waitReconnected reads sub until the client is connected again.
func waitReconnected(t *testing.T, sub *zkrecipes.Subscription, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		ch, err := sub.Next(ctx)
		require.NoError(t, err, "no reconnection within %v", within)
		switch ch.State {
		case zkrecipes.Reconnected:
			return
		case zkrecipes.Lost, zkrecipes.Closed:
			t.Fatalf("session ended: %v", ch.State)
		}
	}
}

// tcpDialer dials plain TCP connections and can cut them.
type tcpDialer struct {
	mu    sync.Mutex
	conns []net.Conn
	dials int
}

func (d *tcpDialer) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	nc, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.conns = append(d.conns, nc)
	d.dials++
	return nc, nil
}

func (d *tcpDialer) Dials() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dials
}

func (d *tcpDialer) Cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, nc := range d.conns {
		nc.Close()
	}
	d.conns = nil
}
