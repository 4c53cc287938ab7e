// Package contend is the one "wait for my turn" loop behind every
// ownership recipe: mutex, semaphore, read-write lock and leader election.
// A contender creates a protected ephemeral-sequential node, lists its
// siblings sorted by sequence number, and either holds (per a Predicate) or
// watches the one node whose deletion can change the answer.
package contend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// ErrWouldBlock is returned by a non-blocking Enter when others are ahead.
var ErrWouldBlock = errors.New("would block")

// ErrNodeGone means our contender node vanished while we waited, deleted
// by someone other than us while the session lived.
var ErrNodeGone = errors.New("contender node was deleted")

// Config describes one contender.
type Config struct {
	Dir       string   // parent of the contender nodes, relative to the namespace
	Name      string   // node name before the sequence, e.g. "lock-"
	Markers   []string // names of the kinds of sibling that take part (default: Name)
	Data      []byte   // data of our node
	ACL       []zk.ACL // ACL of our node (nil: the client's)
	Predicate Predicate
	// NoWait makes Enter give up with ErrWouldBlock (deleting its node)
	// instead of waiting when the predicate does not hold at once.
	NoWait bool
	// Session pins the contender to this session (default: wait for the
	// client's current one).
	Session *zkrecipes.Session
	// OnWait, if set, is called each time Enter starts waiting on a watch;
	// tests use it to count wake-ups.
	OnWait func(watched string)
	// Lazy makes Enter cost exactly one create plus one listing when the
	// predicate holds at once: it neither waits for nor, usually, sends the
	// request for our own node's stat. Entry.Czxid then stays 0 and
	// Entry.Token is the fencing token: the parent's pzxid seen by the
	// first listing when that listing proves no sibling was created since
	// ours (see Token), else our czxid, requested in parallel with the wait.
	// Entry.Lost sets its own-node watch when first called.
	Lazy bool
	// Check, if set, inspects every listing before the predicate; an error
	// ends Enter (deleting our node) with that error. The semaphore uses it
	// to refuse participants that disagree on the number of leases.
	Check func(nodes []zkpath.Node, self int) error
	// Warm, if set, is the handle's memory of its last holds: with it a
	// handle that enters again and again, uncontended, costs one create
	// (see Warm). Only for Lazy entries whose Predicate admits a lone node.
	Warm *Warm
}

// Entry is a contender that holds the resource.
type Entry struct {
	c       *zkrecipes.Client
	Session *zkrecipes.Session
	Path    string // our node, relative to the namespace
	Name    string // our node's name
	Seq     int32
	Czxid   int64 // zxid of our node's creation: a fencing token (0 with Config.Lazy: see Token)

	lazy   bool
	ready  chan struct{}   // closed once token (or ownErr) is known
	token  int64           // set before ready is closed
	ownErr error           // set before ready is closed
	watch  <-chan zk.Event // own-node watch, set before ready is closed
	// the Session.Connections count under which watch was set and
	// answered (0: unknown), set before ready is closed
	watchConn int64
	susp      <-chan struct{} // the session's suspension channel when we got in
	warm      *Warm           // Config.Warm
	// czxid of our parent when the first listing admitted us, without a
	// wait (0 otherwise)
	parent int64
}

// Enter creates our node and waits until the predicate holds, ctx is done
// or the session is lost. On any failure it deletes our node (on a context
// detached from ctx) before returning the cause.
func Enter(ctx context.Context, c *zkrecipes.Client, cfg Config) (*Entry, error) {
	s := cfg.Session
	if s == nil {
		var err error
		if s, err = c.WaitSession(ctx); err != nil {
			return nil, err
		}
	}
	markers := cfg.Markers
	if len(markers) == 0 {
		markers = []string{cfg.Name}
	}
	if w := cfg.Warm; w != nil && w.ready(s) {
		return enterWarm(ctx, c, s, cfg, markers)
	}
	// The first listing rides behind the create, in the same round trip.
	path, kids, st, lerr := s.CreateAndList(ctx, zkpath.Join(cfg.Dir, cfg.Name), cfg.Data, zkrecipes.EphemeralSequential, zkrecipes.WithParents(), zkrecipes.WithNodeACL(cfg.ACL))
	if path == "" {
		cfg.Warm.broken()
		return nil, lerr
	}
	e := newEntry(c, s, cfg, path)
	var first *listing
	if lerr == nil && slices.Contains(kids, e.Name) {
		first = &listing{kids, st}
	}
	return e.enter(ctx, cfg, markers, first)
}

func newEntry(c *zkrecipes.Client, s *zkrecipes.Session, cfg Config, path string) *Entry {
	return &Entry{c: c, Session: s, Path: path, Name: zkpath.Base(path), lazy: cfg.Lazy, ready: make(chan struct{}), warm: cfg.Warm}
}

// enterWarm is Enter for a warm handle: one create, which admits us if its
// sequence number proves us alone (see Warm); otherwise we list and wait
// as usual.
func enterWarm(ctx context.Context, c *zkrecipes.Client, s *zkrecipes.Session, cfg Config, markers []string) (*Entry, error) {
	path, err := s.Create(ctx, zkpath.Join(cfg.Dir, cfg.Name), cfg.Data, zkrecipes.EphemeralSequential, zkrecipes.WithParents(), zkrecipes.WithNodeACL(cfg.ACL))
	if err != nil {
		cfg.Warm.broken()
		return nil, err
	}
	e := newEntry(c, s, cfg, path)
	if n, ok := zkpath.ParseSeq(e.Name, cfg.Name); ok {
		if token, ok := cfg.Warm.admits(s, n.Seq); ok {
			e.Seq, e.token = n.Seq, token
			close(e.ready)
			e.susp = s.Suspended()
			return e, nil
		}
	}
	return e.enter(ctx, cfg, markers, nil)
}

// enter waits for our turn, our node created; first, if not nil, is the
// listing made right after the create.
func (e *Entry) enter(ctx context.Context, cfg Config, markers []string, first *listing) (*Entry, error) {
	s := e.Session
	// Learn our czxid and set a watch on our own node (so a holder hears if
	// an operator deletes it, and a waiter may trust a wake-up without
	// listing again: see ownIntact) in parallel with the wait. Lazy entries
	// decide after the first listing (see firstListing).
	if !cfg.Lazy {
		go e.fetchOwn(ctx)
	}
	err := e.wait(ctx, cfg, markers, first)
	if !cfg.Lazy {
		<-e.ready
		if err == nil && e.ownErr != nil {
			err = e.ownErr
		}
		e.Czxid = e.token
	}
	if err != nil {
		cfg.Warm.broken()
		e.abandon(ctx)
		return nil, err
	}
	e.susp = s.Suspended()
	if cfg.Warm != nil {
		cfg.Warm.held(e, cfg.Dir, e.parent, e.knownToken())
	}
	return e, nil
}

// listing is a listing of the contenders' directory made after our create.
type listing struct {
	children []string
	st       *zk.Stat
}

// wait lists until the predicate holds; pre, if not nil, is the first
// listing, made already.
func (e *Entry) wait(ctx context.Context, cfg Config, markers []string, pre *listing) error {
	s := e.Session
	watchDir := false // the predicate asked for a children watch: list with one
	first := e.lazy
	waited := false
	for {
		var children []string
		var st *zk.Stat
		var cw <-chan zk.Event
		var err error
		if pre != nil {
			children, st, pre = pre.children, pre.st, nil
		} else if watchDir {
			children, st, cw, err = s.ChildrenW(ctx, cfg.Dir)
		} else {
			children, st, err = s.Children(ctx, cfg.Dir)
		}
		if err != nil {
			return err
		}
		nodes := zkpath.ParseChildren(children, markers...)
		self := indexOf(nodes, e.Name)
		if self < 0 {
			if s.Err() != nil {
				return s.Err()
			}
			return fmt.Errorf("%w: %s", ErrNodeGone, e.Path)
		}
		if cfg.Check != nil {
			if err := cfg.Check(nodes, self); err != nil {
				return err
			}
		}
		ok, watch := cfg.Predicate(nodes, self)
		last := !ok && watch >= 0 && lastObstacle(cfg.Predicate, nodes, self, watch)
		if first && (ok || !cfg.NoWait) {
			first = false
			e.firstListing(st, nodes[self].Seq, last)
		}
		if ok {
			e.Seq = nodes[self].Seq
			if !waited && self == 0 && st != nil {
				e.parent = st.Czxid // nobody ahead: Warm may count on it
			}
			return nil
		}
		if cfg.NoWait {
			return ErrWouldBlock
		}
		var ch <-chan zk.Event
		pred := cfg.Dir
		if watch != WatchChildren {
			watchDir = false
		}
		if watch == WatchChildren {
			// The listing with the watch is the one we decide on, so no
			// change between listing and watching goes unnoticed.
			if !watchDir {
				watchDir = true
				continue
			}
			ch = cw
		} else {
			// A data watch, not an exists watch: if the node is already
			// gone the server sets no watch, so none is left behind.
			pred = zkpath.Join(cfg.Dir, nodes[watch].Name)
			_, _, ch, err = s.GetW(ctx, pred)
			if errors.Is(err, zk.ErrNoNode) {
				continue
			}
			if err != nil {
				return err
			}
		}
		if cfg.OnWait != nil {
			cfg.OnWait(pred)
		}
		waited = true
		select {
		case ev := <-ch:
			if last && ev.Type == zk.EventNodeDeleted && e.ownIntact() {
				// The one node between us and the resource is gone and
				// ours is not: no need to list again (see lastObstacle).
				e.Seq = nodes[self].Seq
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-s.Done():
			return s.Err()
		}
	}
}

// lastObstacle reports whether the watched node is all that keeps the
// predicate from holding: it would hold on this listing without it. Then
// its deletion alone admits us, whatever else changed meanwhile, because
// a change can only remove nodes ahead of us (sequence numbers only grow,
// so no node is ever created ahead of ours) and a predicate never turns
// false when nodes ahead of us go.
func lastObstacle(pred Predicate, nodes []zkpath.Node, self, watch int) bool {
	if watch >= self {
		return false
	}
	rest := slices.Delete(slices.Clone(nodes), watch, watch+1)
	ok, _ := pred(rest, self-1)
	return ok
}

func indexOf(nodes []zkpath.Node, name string) int {
	for i, n := range nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}

// abandon deletes our node after a failed or cancelled Enter. It never uses
// the caller's (possibly cancelled) ctx: while connected it deletes before
// returning, so the caller sees the node gone; otherwise a client-owned
// goroutine keeps trying while the session lives (after which the server
// removes the node anyway).
func (e *Entry) abandon(ctx context.Context) {
	s := e.Session
	if s.Err() != nil {
		return
	}
	if s.Connected() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		err := deleteOwn(dctx, s, e.Path)
		cancel()
		if err == nil {
			return
		}
	}
	e.deleteLater()
}

// deleteLater keeps deleting our node on a client-owned goroutine until it
// is gone or the session ends (after which the server removes it anyway).
func (e *Entry) deleteLater() {
	s := e.Session
	e.c.Go(func(life context.Context) {
		dctx, cancel := context.WithTimeout(life, 2*s.Timeout()+time.Second)
		defer cancel()
		_ = deleteOwn(dctx, s, e.Path)
	})
}

func deleteOwn(ctx context.Context, s *zkrecipes.Session, path string) error {
	err := s.Delete(ctx, path, -1)
	if err == nil || errors.Is(err, zk.ErrNoNode) || errors.Is(err, zkrecipes.ErrSessionLost) || errors.Is(err, zkrecipes.ErrClosed) {
		return nil
	}
	return err
}

// Leave deletes our node, releasing what it held. A node already gone with
// its session counts as released.
func (e *Entry) Leave(ctx context.Context) error {
	err := deleteOwn(ctx, e.Session, e.Path)
	if e.warm != nil {
		e.warm.left(e.Seq, err == nil)
	}
	return err
}

// Release is Leave that does not give up: if the delete fails (ctx done,
// connection down beyond the retry policy) while the session lives, a
// client-owned goroutine keeps deleting until it succeeds or the session
// ends, so a release never leaves a node that blocks others for good. It
// returns Leave's error, so the caller knows the release was delayed.
//
// While the connection is suspended it does not wait for it: the delete is
// handed to that goroutine at once (a partitioned holder would otherwise
// wait until the session is declared lost), and Release returns nil.
func (e *Entry) Release(ctx context.Context) error {
	if s := e.Session; s.Err() == nil && !s.Connected() {
		if e.warm != nil {
			e.warm.left(e.Seq, false)
		}
		e.deleteLater()
		return nil
	}
	err := e.Leave(ctx)
	if err == nil || e.Session.Err() != nil {
		return nil
	}
	e.deleteLater()
	return err
}
