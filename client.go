package zkrecipes

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/scope"
)

// Client is a connection to a ZooKeeper ensemble shared by every recipe:
// it owns the session, tracks connection states, retries operations that
// failed with connection loss, and applies the namespace and default ACL.
// A Client is safe for concurrent use.
type Client struct {
	Ops     // operations in the current session
	servers []string
	o       options
	tls     *tlsDialer // nil without WithTLS

	mu       sync.Mutex
	cur      *generation
	state    State
	subs     map[*Subscription]struct{}
	closed   bool
	lostTmr  *time.Timer
	suspends uint64   // counts suspensions, to tell a stale lost-timer apart
	last     *Session // the newest session ever established
	// when the current suspension began (zero: none), kept only with an
	// Observer (see observeConnLocked)
	suspendedAt time.Time

	// the state machine's queue (see events.go)
	evMu  sync.Mutex
	evq   []genEvent
	evSig chan struct{}

	closing   chan struct{}
	life      context.Context // cancelled when Close starts
	endLife   context.CancelFunc
	closeOnce sync.Once
	pumpDone  chan struct{}

	// the worker pool (see pool.go)
	goMu     sync.Mutex
	goClosed bool
	wg       sync.WaitGroup // running jobs
	workers  sync.WaitGroup // worker goroutines, idle or not
	jobs     chan func()    // unbuffered: a send succeeds only to an idle worker

	store scope.Store // recipes' per-client state; ends with Close
}

// Connect dials the ensemble and returns once a session is established, or
// with ctx's error (and nothing left running) when ctx is done first.
func Connect(ctx context.Context, servers []string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("%w: empty server list", ErrInvalidArgument)
	}
	for _, s := range servers {
		if s == "" {
			return nil, fmt.Errorf("%w: empty server address", ErrInvalidArgument)
		}
	}
	c := &Client{
		servers:  append([]string(nil), servers...),
		o:        o,
		subs:     map[*Subscription]struct{}{},
		evSig:    make(chan struct{}, 1),
		closing:  make(chan struct{}),
		pumpDone: make(chan struct{}),
		jobs:     make(chan func()),
	}
	c.Ops = Ops{ops{c: c}}
	if o.tls != nil {
		c.tls = newTLSDialer(o.tls, c.servers)
	}
	c.life, c.endLife = context.WithCancel(context.Background())
	c.mu.Lock()
	_, err := c.newGenerationLocked()
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	go c.pump()
	if err := c.awaitPrepared(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("zkrecipes: connect to %v: %w", servers, err)
	}
	return c, nil
}

// awaitPrepared waits until the current generation has a prepared session.
// A generation given up before that is followed to its successor. When ctx
// is done first, the error says why the last attempt to connect failed.
func (c *Client) awaitPrepared(ctx context.Context) error {
	for {
		c.mu.Lock()
		g := c.cur
		c.mu.Unlock()
		for _, step := range []chan struct{}{g.ready, g.prepared} {
			select {
			case <-step:
			case <-g.retired:
			case <-c.tls.allRefused():
				return c.tls.err
			case <-ctx.Done():
				if last := g.lastFailure(); last != nil {
					return fmt.Errorf("%w (last attempt: %w)", ctx.Err(), last)
				}
				return ctx.Err()
			}
		}
		select {
		case <-g.retired:
			continue
		default:
			return nil
		}
	}
}

// Close ends the session, stops every goroutine the client started and
// waits for them, but for one: without a connection, go-zookeeper's own
// Close waits a second for a reply that never comes, and that wait ends
// on its own after Close returned. Operations in flight fail with
// ErrClosed. Close is idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.stopLostTimerLocked()
		g := c.cur
		connected := g.sess != nil && g.sess.Connected()
		g.retire(ErrClosed)
		if g.sess != nil {
			g.sess.suspend()
		}
		c.emitLocked(Closed, g.sess, "")
		c.mu.Unlock()

		close(c.closing)
		c.endLife()
		<-c.pumpDone
		g.shutdown(connected)
		c.goMu.Lock()
		c.goClosed = true
		c.goMu.Unlock()
		c.wg.Wait()
		c.workers.Wait()
		c.store.End()
	})
	return nil
}

// Conn returns the underlying go-zookeeper connection of the current
// session, for operations this package does not wrap. It changes when a
// session is lost and a new one opened; paths on it are not namespaced.
// Set watches through the client's GetW, ExistsW and ChildrenW, not
// through Conn's W methods: go-zookeeper races on its last-seen zxid when
// it sets its own watches again after a reconnection (go-zookeeper/zk#35),
// and the client's watches are kept where that cannot happen.
func (c *Client) Conn() *zk.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur.conn
}

// Session returns the current session: the live one, or while a new one is
// being established after a loss, the lost one (whose Done is closed).
func (c *Client) Session() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur.sess != nil {
		return c.cur.sess
	}
	return c.last
}

// WaitSession returns the current session once it is established and
// connected, or an error when ctx is done or the client closes first.
func (c *Client) WaitSession(ctx context.Context) (*Session, error) {
	for {
		c.mu.Lock()
		g := c.cur
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		select {
		case <-g.ready:
		case <-g.retired:
			continue
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s := g.sess
		select {
		case <-s.Suspended():
		default:
			return s, nil
		}
		sub := c.Subscribe()
		ok, err := c.waitConnected(ctx, sub, s)
		sub.Close()
		if err != nil {
			return nil, err
		}
		if ok {
			return s, nil
		}
	}
}

func (c *Client) waitConnected(ctx context.Context, sub *Subscription, s *Session) (bool, error) {
	for s.Err() == nil && !s.Connected() {
		if _, err := sub.Next(ctx); err != nil {
			return false, err
		}
	}
	return s.Err() == nil, nil
}

// State returns the latest connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Namespace returns the namespace every path is relative to ("" for none).
func (c *Client) Namespace() string { return c.o.namespace }

// ACL returns the default ACL of created nodes.
func (c *Client) ACL() []zk.ACL { return c.o.acl }

// Logger returns the client's logger.
func (c *Client) Logger() *slog.Logger { return c.o.logger }

// SessionTimeout returns the negotiated timeout of the current session
// (the requested one before the first session).
func (c *Client) SessionTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur.sess != nil {
		return c.cur.sess.timeout
	}
	return c.o.sessionTimeout
}
