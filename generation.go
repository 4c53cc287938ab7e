package zkrecipes

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/sock"
)

// A generation is one *zk.Conn and the one session it may hold. go-zookeeper
// silently opens a new session on the same Conn after an expiry and then
// sends requests that were queued for the old one. We never let that
// happen: once a generation's session is lost its dialer refuses to connect
// (set synchronously in the event callback, before go-zookeeper redials),
// the Conn is closed, and a fresh generation takes over. A request issued
// on a generation therefore runs in its session or not at all.
type generation struct {
	conn    *zk.Conn
	retired chan struct{} // closed when the session is lost or the client closed
	err     error         // set before retired is closed
	once    sync.Once
	noDial  atomic.Bool
	// the Conn's sockets, and what they read off the wire: the negotiated
	// timeout, the session id, when the server last spoke (see internal/sock)
	socks    sock.Set
	prepared chan struct{} // closed once the credentials are added (see prepare)
	logger   *slog.Logger

	errMu   sync.Mutex
	lastErr error // why the latest dial or handshake failed

	events <-chan zk.Event // go-zookeeper closes it when all its goroutines ended

	ready chan struct{} // closed once sess is set
	sess  *Session      // owned by the pump; read after ready
}

// newGenerationLocked dials a fresh *zk.Conn; c.mu is held so the pump
// cannot look at the generation before it is complete.
func (c *Client) newGenerationLocked() (*generation, error) {
	g := &generation{
		retired:  make(chan struct{}),
		ready:    make(chan struct{}),
		prepared: make(chan struct{}),
		logger:   c.o.logger,
	}
	g.socks.Failed = g.failed
	g.socks.HandshakeTimeout = handshakeTimeout(c.o.sessionTimeout, len(c.servers))
	dial := c.o.dialer
	if dial == nil {
		dial = defaultDialer
	}
	if c.tls != nil {
		dial = c.tls.wrap(dial)
	}
	zopts := list(
		zk.WithEventCallback(func(ev zk.Event) { c.onEvent(g, ev) }),
		zk.WithDialer(g.dialer(dial)),
		zk.WithHostProvider(&hostProvider{g: g}),
		zk.WithLogger(zkLogger{c.o.logger}),
	)
	if c.o.maxBufferSize > 0 {
		zopts = append(zopts, zk.WithMaxBufferSize(c.o.maxBufferSize), zk.WithMaxConnBufferSize(c.o.maxBufferSize))
	}
	conn, events, err := zk.Connect(c.servers, c.o.sessionTimeout, zopts...)
	if err != nil {
		return nil, fmt.Errorf("zkrecipes: connect: %w", err)
	}
	g.conn, g.events = conn, events
	c.cur = g
	c.prepare(g)
	return g, nil
}

// prepare readies generation g's session before any operation runs on it
// (operations wait for g.prepared): it adds the configured credentials,
// which go-zookeeper resends on every reconnect.
func (c *Client) prepare(g *generation) {
	ok := c.spawn(func() {
		defer close(g.prepared)
		for _, a := range c.o.auth {
			if !c.untilDone(g, "addauth", func() error { return g.conn.AddAuth(a.scheme, a.auth) }) {
				return
			}
		}
	})
	if !ok {
		close(g.prepared)
	}
}

// untilDone retries fn until it succeeds (true) or g is retired (false).
func (c *Client) untilDone(g *generation, what string, fn func() error) bool {
	for {
		err := fn()
		if err == nil {
			return true
		}
		select {
		case <-g.retired:
			return false
		case <-time.After(50 * time.Millisecond):
		}
		c.o.logger.Debug("zkrecipes: retrying "+what, "err", err)
	}
}

// handshakeTimeout is how long a connection may wait for the server's
// connect response: the session timeout shared among the servers, as
// ZooKeeper's own client does, but at most a third of it (the session
// must survive a retry) and at least a second.
func handshakeTimeout(session time.Duration, servers int) time.Duration {
	t := min(session/time.Duration(max(servers, 1)), session/3)
	return max(t, time.Second)
}

// list builds a slice of go-zookeeper's unexported option type.
func list[T any](xs ...T) []T { return xs }

var errRetired = errors.New("zkrecipes: connection retired")

func (g *generation) retire(err error) bool {
	done := false
	g.once.Do(func() {
		g.noDial.Store(true)
		g.err = err
		close(g.retired)
		g.socks.End(err) // our requests fail and the watches fire NotWatching
		done = true
	})
	return done
}

// dialer wraps the user's dialer: it refuses once the generation is
// retired, puts the socket level (internal/sock) beneath go-zookeeper and
// notes why a dial or handshake failed.
func (g *generation) dialer(next zk.Dialer) zk.Dialer {
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		if g.noDial.Load() {
			return nil, errRetired
		}
		nc, err := next(network, address, timeout)
		if err != nil {
			g.failed(fmt.Errorf("dial %s: %w", address, err))
			return nil, err
		}
		return g.socks.Add(nc, address), nil
	}
}

// failed records why the latest attempt to connect failed, for Connect's
// error, and logs it: a client that cannot reach the ensemble says so.
func (g *generation) failed(err error) {
	g.errMu.Lock()
	g.lastErr = err
	g.errMu.Unlock()
	if g.noDial.Load() {
		return
	}
	g.logger.Warn("zkrecipes: cannot connect", "err", err)
}

// lastFailure returns the error of the latest failed attempt, or nil.
func (g *generation) lastFailure() error {
	g.errMu.Lock()
	defer g.errMu.Unlock()
	return g.lastErr
}

// shutdown closes the Conn and waits until every goroutine go-zookeeper
// started for it has ended. go-zookeeper's Close does not close the socket,
// so under a partition its reader would linger until its read deadline; we
// close the sockets ourselves. A connected Conn first gets to tell the
// server to end the session, which frees its ephemeral nodes at once.
//
// Without a connection, go-zookeeper's Close would wait a whole second
// for the reply to its close request, which is never sent: its loop ends
// on Close's signal without answering the request it queued. That second
// would be added to every Connect that gives up and every Close of a
// partitioned client, so Close runs on its own goroutine, which ends with
// that wait; shutdown waits for the loop's end (the events channel
// closes), not for the second.
func (g *generation) shutdown(connected bool) {
	if connected {
		g.conn.Close()
		g.closeSockets()
	} else {
		g.closeSockets()
		go g.conn.Close()
	}
	for range g.events {
	}
}

func (g *generation) closeSockets() {
	g.noDial.Store(true)
	g.socks.CloseAll()
}
