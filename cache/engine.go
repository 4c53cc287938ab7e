package cache

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/observe"
)

// engine is what the three caches share: one goroutine (loop) owns the
// tree of nodes and applies every read reply, watch event and connection
// state change to it in the order it receives them; readers see the tree
// under mu, which the loop holds while it changes the tree.
type engine struct {
	c    *zkrecipes.Client
	root *node
	o    options
	log  *slog.Logger
	obs  *observe.Cache // nil without an Observer

	ctx    context.Context // cancelled by Close: every request and goroutine ends
	cancel context.CancelFunc
	wg     sync.WaitGroup
	in     inbox
	initCh chan struct{} // closed once the initial load is done (or failed: initErr)

	mu      sync.RWMutex // guards the fields below and every node's entry and kids
	subs    map[*Subscription]struct{}
	started bool
	closed  bool
	inited  bool
	initErr error
	stale   bool
	since   time.Time

	// owned by the loop goroutine
	sess      *zkrecipes.Session
	gen       uint64     // session generation: replies and watches of older ones are ignored
	sink      *watchSink // where the watches set in generation gen post their events
	connected bool
	syncing   bool   // a new session's server is catching up: no read is sent before it has
	epoch     uint32 // current load (initial load or resync); 0 tags a watch-triggered read
	pending   int    // reads of the current epoch not yet answered
	broken    bool   // a read of the current epoch failed with the session
	queue     []request
	inflight  int
	size      int // nodes with an entry

	persistent bool    // the persistent backend (persist.go), until it falls back
	pw         *pwatch // its current watch, nil while none is set or asked for
	tags       uint64  // of reads sent through a persistent watch
}

// node is one path of the cache. entry and kids are read under engine.mu;
// the rest belongs to the loop. Fields are ordered for size: a node is
// 96 bytes.
type node struct {
	path    string
	parent  *node
	entry   *Entry   // nil: absent or not read yet
	kids    *kidList // sorted by name, including kids not read yet; nil for none
	data    slot     // getData / exists
	list    slot     // getChildren
	depth   int32
	removed bool // left the tree: replies and watches for it are ignored
	absent  bool // root only: the last read found no node
	relist  bool // a listing found no node: list again if a data read finds it
	born    bool // created under a persistent watch: its children come as events
}

// atMaxDepth reports whether n is at the depth limit (max -1: none).
func (n *node) atMaxDepth(max int) bool { return int(n.depth) == max }

// slot serialises the reads of one kind on one node: at most one is
// outstanding, and a refresh asked for meanwhile is folded into one
// follow-up read. Replies for a node therefore arrive in the order the
// server answered them.
type slot struct {
	tag      uint32          // epoch of the outstanding read
	dirtyTag uint32          // epoch of the follow-up (0: watch-triggered)
	watch    zkrecipes.Watch // set in the current session while armed
	busy     bool
	dirty    bool
	armed    bool // a watch of the current session is set
	// fired: a watch of the slot fired while its read was outstanding:
	// the watch that read set, if it set one, has fired already.
	fired bool
}

// arm keeps w, the slot's watch in the current session.
func (s *slot) arm(w *zkrecipes.Watch) { s.armed, s.watch = true, *w }

// disarm forgets the slot's watch (it fired, or its session ended).
func (s *slot) disarm() { s.armed, s.watch = false, zkrecipes.Watch{} }

// release takes the slot's watch back, here and on the server.
func (s *slot) release() {
	if s.armed {
		s.watch.Remove()
	}
	s.disarm()
}

func newEngine(c *zkrecipes.Client, path, kind string, o options) *engine {
	ctx, cancel := context.WithCancel(context.Background())
	e := &engine{
		c: c, o: o, log: c.Logger(), ctx: ctx, cancel: cancel,
		obs:    observe.NewCache(c, path, kind),
		initCh: make(chan struct{}),
		subs:   map[*Subscription]struct{}{},
		root:   &node{path: path},
	}
	e.persistent = o.watches == Persistent
	e.in.sig = make(chan struct{}, 1)
	return e
}

// start runs the cache and waits for its initial load.
func (e *engine) start(ctx context.Context) error {
	e.mu.Lock()
	switch {
	case e.closed:
		e.mu.Unlock()
		return zkrecipes.ErrClosed
	case e.started:
		e.mu.Unlock()
		return ErrStarted
	}
	e.started = true
	e.mu.Unlock()
	if err := ctx.Err(); err != nil {
		e.close()
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	defer context.AfterFunc(e.ctx, stop)()

	sub := e.c.Subscribe()
	sess, err := e.c.WaitSession(sctx)
	if err != nil {
		sub.Close()
		return e.startFailed(ctx, err)
	}
	e.mu.Lock()
	if e.closed { // Close came first: its Wait must see every goroutine
		e.mu.Unlock()
		sub.Close()
		return zkrecipes.ErrClosed
	}
	e.sess, e.gen, e.connected = sess, 1, true
	e.sink = &watchSink{in: &e.in, gen: 1}
	e.wg.Go(func() { e.forward(sub) })
	e.wg.Go(e.loop)
	e.mu.Unlock()
	e.in.post(resyncMsg{gen: 1})
	select {
	case <-e.initCh:
		e.mu.RLock()
		defer e.mu.RUnlock()
		return e.initErr
	case <-sctx.Done():
		return e.startFailed(ctx, sctx.Err())
	}
}

// startFailed closes the cache after a Start that did not complete and
// says why: Close, ctx, or the client.
func (e *engine) startFailed(ctx context.Context, err error) error {
	if e.ctx.Err() != nil {
		return zkrecipes.ErrClosed
	}
	e.close()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// forward hands connection-state changes to the loop.
func (e *engine) forward(sub *zkrecipes.Subscription) {
	defer sub.Close()
	for {
		ch, err := sub.Next(e.ctx)
		if err != nil {
			if e.ctx.Err() == nil { // the client closed
				e.in.post(zkrecipes.StateChange{State: zkrecipes.Closed, At: time.Now()})
			}
			return
		}
		e.in.post(ch)
	}
}

// close stops the cache and waits for its goroutines. Idempotent.
func (e *engine) close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	if !e.inited {
		e.initErr = zkrecipes.ErrClosed
		e.inited = true
		close(e.initCh)
	}
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.mu.Lock()
	// The loop is over: take the watches back, here and on the server.
	e.dropWatch()
	if e.root != nil {
		e.walkNodes(e.root, func(n *node) {
			n.data.release()
			n.list.release()
		})
	}
	for s := range e.subs {
		s.deliver(nil, true)
	}
	e.subs = map[*Subscription]struct{}{}
	started := e.gen > 0 // the loop ran
	e.mu.Unlock()
	if started {
		e.obs.Closed()
	}
}

// loop applies what the inbox brings until Close.
func (e *engine) loop() {
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.in.sig:
		}
		// One lock for what arrived together: readers wait at most for one
		// batch, and the reads it asks for go out together.
		e.mu.Lock()
		for _, m := range e.in.take() {
			if e.ctx.Err() != nil {
				break
			}
			e.handle(m)
		}
		e.mu.Unlock()
		e.spawn()
	}
}

func (e *engine) handle(m any) {
	switch m := m.(type) {
	case reply:
		e.onReply(m)
	case fired:
		e.onFired(m)
	case zkrecipes.StateChange:
		e.onState(m)
	case resyncMsg:
		if m.gen == e.gen {
			e.syncing = false
			e.load()
		}
	case pnote:
		e.onNotice(m)
	case pstarted:
		e.onStarted(m)
	}
}

// emit hands ev to every subscriber; called with mu held. The observer
// sees a change of size first: a subscriber that got ev finds it there.
func (e *engine) emit(ev Event) {
	e.obs.Size(e.size)
	for s := range e.subs {
		s.deliver(&ev, false)
	}
}

// inbox is the loop's unbounded queue: posting never blocks.
type inbox struct {
	mu  sync.Mutex
	q   []any
	sig chan struct{}
}

func (b *inbox) post(m any) {
	b.mu.Lock()
	b.q = append(b.q, m)
	b.mu.Unlock()
	select {
	case b.sig <- struct{}{}:
	default:
	}
}

func (b *inbox) take() []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.q
	b.q = nil
	return q
}

// fired is a watch event for a node.
type fired struct {
	n    *node
	list bool
	gen  uint64
	ev   zk.Event
}

// watchSink posts the events of the watches of one session generation
// to the loop. A watch's function holds only the sink and its node: it
// lives as long as the watch.
type watchSink struct {
	in  *inbox
	gen uint64
}

func (k *watchSink) dataFn(n *node) func(zk.Event) {
	return func(ev zk.Event) { k.in.post(fired{n: n, gen: k.gen, ev: ev}) }
}

func (k *watchSink) listFn(n *node) func(zk.Event) {
	return func(ev zk.Event) { k.in.post(fired{n: n, list: true, gen: k.gen, ev: ev}) }
}

// resyncMsg starts a load of every node in session generation gen.
type resyncMsg struct{ gen uint64 }
