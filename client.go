package zkrecipes

import (
	"context"
	"errors"
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
	ops
	servers []string
	o       options

	mu       sync.Mutex
	cur      *generation
	state    State
	subs     map[*Subscription]struct{}
	closed   bool
	lostTmr  *time.Timer
	suspends uint64   // counts suspensions, to tell a stale lost-timer apart
	last     *Session // the newest session ever established

	evMu  sync.Mutex
	evq   []genEvent
	evSig chan struct{}

	closing   chan struct{}
	life      context.Context // cancelled when Close starts
	endLife   context.CancelFunc
	closeOnce sync.Once
	pumpDone  chan struct{}

	goMu     sync.Mutex
	goClosed bool
	wg       sync.WaitGroup // running jobs
	workers  sync.WaitGroup // worker goroutines, idle or not
	jobs     chan func()    // unbuffered: a send succeeds only to an idle worker

	store scope.Store // recipes' per-client state; ends with Close
}

type genEvent struct {
	g        *generation
	ev       zk.Event
	sid      int64
	lostTick uint64 // non-zero: the lost timer of suspension #lostTick fired
	drop     error  // non-nil: give g up (see generation.dialer)
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
	c.ops = ops{c: c}
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

// newGenerationLocked dials a fresh *zk.Conn; c.mu is held so the pump
// cannot look at the generation before it is complete.
func (c *Client) newGenerationLocked() (*generation, error) {
	g := &generation{
		retired:  make(chan struct{}),
		ready:    make(chan struct{}),
		prepared: make(chan struct{}),
		logger:   c.o.logger,
	}
	g.drop = func(err error) { c.push(genEvent{g: g, drop: err}) }
	dial := c.o.dialer
	if dial == nil {
		dial = defaultDialer
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

// onEvent is go-zookeeper's callback. It must never block: it only queues.
func (c *Client) onEvent(g *generation, ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	if ev.State == zk.StateExpired {
		// Stop go-zookeeper from opening a new session on this Conn before
		// the pump gets to it; the next generation will.
		g.noDial.Store(true)
	}
	c.push(genEvent{g: g, ev: ev, sid: g.sid.Load()})
}

func (c *Client) push(e genEvent) {
	c.evMu.Lock()
	c.evq = append(c.evq, e)
	c.evMu.Unlock()
	select {
	case c.evSig <- struct{}{}:
	default:
	}
}

// pump is the single goroutine that turns go-zookeeper's events into our
// state model. It exits when the client closes.
func (c *Client) pump() {
	defer close(c.pumpDone)
	for {
		select {
		case <-c.evSig:
		case <-c.closing:
			return
		}
		c.evMu.Lock()
		q := c.evq
		c.evq = nil
		c.evMu.Unlock()
		for _, e := range q {
			c.handle(e)
		}
	}
}

func (c *Client) handle(e genEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := e.g
	if g != c.cur || c.closed {
		return // a retired generation's last words
	}
	if e.drop != nil {
		c.loseLocked(g, e.drop)
		return
	}
	if e.lostTick != 0 {
		if g.sess != nil && !g.sess.Connected() && e.lostTick == c.suspends {
			c.loseLocked(g, fmt.Errorf("disconnected for the session timeout (%v)", g.sess.timeout))
		}
		return
	}
	switch e.ev.State {
	case zk.StateHasSession:
		switch {
		case g.sess == nil:
			s := newSession(c, g, e.sid, c.negotiatedTimeout(g))
			g.sess = s
			c.last = s
			close(g.ready)
			c.emitLocked(Connected, s)
		case e.sid != g.sess.id:
			c.loseLocked(g, errors.New("server assigned a new session"))
		case g.sess.resume():
			c.stopLostTimerLocked()
			c.emitLocked(Reconnected, g.sess)
		}
	case zk.StateDisconnected:
		if g.sess != nil && g.sess.suspend() {
			c.suspends++
			c.emitLocked(Suspended, g.sess)
			c.startLostTimerLocked(g)
		}
	case zk.StateExpired:
		c.loseLocked(g, zk.ErrSessionExpired)
	case zk.StateAuthFailed:
		c.o.logger.Error("zkrecipes: authentication failed", "server", e.ev.Server)
	}
}

func (c *Client) negotiatedTimeout(g *generation) time.Duration {
	if ms := g.timeoutMs.Load(); ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return c.o.sessionTimeout
}

// startLostTimerLocked arms the client-side expiry: a partitioned client
// never hears that the server expired its session, so once the server has
// been silent for the negotiated timeout we declare the session lost
// ourselves (Curator does the same). The clock starts at the last byte the
// server sent, which is never earlier than the last packet the server got
// from us, so we never declare loss before the server could have expired it
// by more than its tick granularity.
func (c *Client) startLostTimerLocked(g *generation) {
	c.stopLostTimerLocked()
	last := g.lastRead.Load()
	deadline := time.Duration(last-monoNow()) + g.sess.timeout
	if deadline < 0 {
		deadline = 0
	}
	tick := c.suspends
	c.lostTmr = time.AfterFunc(deadline, func() { c.push(genEvent{g: g, lostTick: tick}) })
}

func (c *Client) stopLostTimerLocked() {
	if c.lostTmr != nil {
		c.lostTmr.Stop()
		c.lostTmr = nil
	}
}

// loseLocked ends generation g's session and starts the next generation.
func (c *Client) loseLocked(g *generation, cause error) {
	c.stopLostTimerLocked()
	if !g.retire(fmt.Errorf("%w: %w", ErrSessionLost, cause)) {
		return
	}
	if g.sess != nil {
		g.sess.suspend()
		c.emitLocked(Lost, g.sess)
	}
	c.o.logger.Warn("zkrecipes: session lost", "cause", cause)
	c.spawn(func() { g.shutdown(false) })
	if _, err := c.newGenerationLocked(); err != nil {
		c.o.logger.Error("zkrecipes: cannot open a new session", "err", err)
	}
}

// Close ends the session, stops every goroutine the client started and
// waits for them. Operations in flight fail with ErrClosed. Close is
// idempotent.
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
		c.emitLocked(Closed, g.sess)
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

// spawn runs fn on a goroutine that Close waits for. It reports false (and
// does not run fn) once the client is closed. Goroutines are reused: every
// operation runs on one (go-zookeeper takes no context), and a fresh
// goroutine per operation costs a stack's growth and a wake-up each time,
// several percent of a loopback round trip.
func (c *Client) spawn(fn func()) bool {
	c.goMu.Lock()
	defer c.goMu.Unlock()
	if c.goClosed {
		return false
	}
	c.wg.Add(1)
	select {
	case c.jobs <- fn: // an idle worker took it
	default:
		c.workers.Add(1)
		go c.worker(fn)
	}
	return true
}

// idleWorker is how long a worker waits for more work before exiting.
const idleWorker = 2 * time.Second

func (c *Client) worker(fn func()) {
	defer c.workers.Done()
	// One timer for the worker's life, re-armed only when it fires early:
	// resetting it after every job cost more than the hand-off itself.
	idle := time.NewTimer(idleWorker)
	defer idle.Stop()
	for {
		fn()
		c.wg.Done()
		done := time.Now()
		for fn = nil; fn == nil; {
			select {
			case fn = <-c.jobs:
			case <-idle.C:
				if d := time.Since(done); d < idleWorker {
					idle.Reset(idleWorker - d)
					continue
				}
				return
			case <-c.closing:
				return
			}
		}
	}
}

// goOwned runs fn on a goroutine owned by the client: Close cancels fn's
// ctx and waits for fn to return. Recipes use it (through internal/seam)
// for cleanup that must outlive the caller's context. It reports false,
// without running fn, after Close.
func (c *Client) goOwned(fn func(ctx context.Context)) bool {
	return c.spawn(func() { fn(c.life) })
}

// Conn returns the underlying go-zookeeper connection of the current
// session, for operations this package does not wrap. It changes when a
// session is lost and a new one opened; paths on it are not namespaced.
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
