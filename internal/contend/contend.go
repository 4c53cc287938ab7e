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
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"github.com/zkrecipes/zkrecipes/internal/sock"
	"slices"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/cleanup"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// ErrWouldBlock is returned by a non-blocking Enter when others are ahead.
var ErrWouldBlock = errors.New("would block")

// ErrNodeGone means our contender node vanished while we waited, deleted
// by someone other than us while the session lived.
var ErrNodeGone = errors.New("contender node was deleted")

// Config describes one contender.
type Config struct {
	Dir     string   // parent of the contender nodes, relative to the namespace
	Name    string   // node name before the sequence, e.g. "lock-"
	Markers []string // names of the kinds of sibling that take part (default: Name)
	Data    []byte   // data of our node
	ACL     []zk.ACL // ACL of our node (nil: the client's)
	// Predicate decides whether we hold; nil means the first contender in
	// sequence order holds (MaxLeases(1): a mutex, a writer, a leader),
	// decided by one pass over the listing (see scanFirst).
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
	// request for our own node's stat. Entry.Token is then the fencing
	// token: the parent's pzxid seen by the
	// first listing when that listing proves no sibling was created since
	// ours (see Token), else our czxid, requested in parallel with the wait.
	// Entry.Lost sets its own-node watch when first called. Every lock
	// is Lazy; election is not, because its token is published as the
	// leader node's czxid and must be exactly that (see election.Campaign).
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

// markers returns the kinds of sibling that take part: Markers, or Name.
func (cfg Config) markers() []string {
	if len(cfg.Markers) == 0 {
		return []string{cfg.Name}
	}
	return cfg.Markers
}

// Entry is a contender that holds the resource.
type Entry struct {
	c       *zkrecipes.Client
	Session *zkrecipes.Session
	Path    string // our node, relative to the namespace
	Name    string // our node's name
	Seq     int32

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
	markers := cfg.markers()
	if w := cfg.Warm; w != nil && w.ready(s) {
		return enterWarm(ctx, c, s, cfg, markers)
	}
	// The first listing rides behind the create, in the same round trip.
	path, kids, st, lerr := seam.CreateAndList(ctx, s, zkpath.Join(cfg.Dir, cfg.Name), cfg.Data, zkrecipes.EphemeralSequential, zkrecipes.WithParents(), zkrecipes.WithNodeACL(cfg.ACL))
	if path == "" {
		cfg.Warm.broken()
		return nil, lerr
	}
	return enterListed(ctx, newEntry(c, s, cfg, path), cfg, markers, kids, st, lerr)
}

// Requeue is Enter for the holder of old, which leaves and enters again
// at once (a leader that resigns and campaigns anew): one transaction
// deletes old's node and creates ours (seam.ReplaceAndList), so that the
// next in line, woken by the deletion, does not find our create ahead of
// its listing at the server (with fsync on, a disk write it would wait
// for). old's node is deleted whatever the outcome, as Release deletes
// it. Without a connection, in a session other than old's, or for a Warm
// handle, Requeue is Release and Enter.
func Requeue(ctx context.Context, c *zkrecipes.Client, old *Entry, cfg Config) (*Entry, error) {
	s := old.Session
	if cfg.Warm != nil || cfg.Session != nil && cfg.Session != s || s.Err() != nil || !s.Connected() {
		old.releaseDetached(ctx)
		return Enter(ctx, c, cfg)
	}
	path, replaced, kids, st, lerr := seam.ReplaceAndList(ctx, s, old.Path, zkpath.Join(cfg.Dir, cfg.Name), cfg.Data, zkrecipes.WithNodeACL(cfg.ACL))
	if !replaced {
		old.releaseDetached(ctx) // a node gone already counts as deleted
	}
	if path == "" {
		if errors.Is(lerr, zk.ErrNoNode) && ctx.Err() == nil {
			// Nothing applied: old's node (deleted by someone else) or
			// the directory was gone. Enter makes the directory again.
			return Enter(ctx, c, cfg)
		}
		return nil, lerr
	}
	return enterListed(ctx, newEntry(c, s, cfg, path), cfg, cfg.markers(), kids, st, lerr)
}

// enterListed is Enter for e, whose node was just created and its
// directory listed (kids, st) right behind the create, unless lerr.
func enterListed(ctx context.Context, e *Entry, cfg Config, markers []string, kids sock.Listing, st *zk.Stat, lerr error) (*Entry, error) {
	var first *listing
	if lerr == nil && slices.Contains(kids.Names, e.Name) {
		first = &listing{children: kids.Names, st: st, buf: kids}
	} else {
		kids.Release()
	}
	return e.enter(ctx, cfg, markers, first)
}

// releaseDetached is Release on a context detached from ctx, bounded by
// cleanup.Now (beyond which a client-owned goroutine goes on deleting).
func (e *Entry) releaseDetached(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanup.Now)
	defer cancel()
	_ = e.Release(rctx)
}

func newEntry(c *zkrecipes.Client, s *zkrecipes.Session, cfg Config, path string) *Entry {
	return &Entry{c: c, Session: s, Path: path, Name: zkpath.Base(path), ready: make(chan struct{}), warm: cfg.Warm}
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
	}
	if err != nil {
		cfg.Warm.broken()
		// Never on the caller's (possibly cancelled) ctx: see cleanup.
		cleanup.Abandon(ctx, seam.Spawner(e.c), s, e.Path)
		return nil, err
	}
	e.susp = s.Suspended()
	if cfg.Warm.held(s, cfg.Dir, e.Seq, e.parent, e.knownToken()) {
		watchParent(e.c, s, cfg.Dir, e.parent)
	}
	return e, nil
}

// listing is a listing of the contenders' directory made after our
// create, with the children watch it set, if any.
type listing struct {
	children []string
	st       *zk.Stat
	watch    <-chan zk.Event
	buf      sock.Listing // children's buffer, if they share one
}

// release hands back the children's buffer: nothing may use them after.
func (l *listing) release() {
	l.buf.Release()
	l.children = nil
}

// wait is the contention loop: list, decide, wait for the one node whose
// deletion can change the answer, again. pre, if not nil, is the first
// listing, made already. The shortcuts beside it (see shortcuts) settle
// the token from the first listing and may end a wait without listing
// again; the loop only tells them what it saw.
func (e *Entry) wait(ctx context.Context, cfg Config, markers []string, pre *listing) error {
	s := e.Session
	sc := newShortcuts(e, cfg)
	childWatch := false // list with a children watch: the predicate asks for one
	for {
		l, err := e.list(ctx, cfg.Dir, childWatch, &pre)
		if err != nil {
			return err
		}
		d, err := e.decide(cfg, markers, l)
		l.release() // d keeps no name of it
		if err != nil {
			return err
		}
		sc.listed(l, d)
		if d.ok {
			e.Seq = d.seq
			return nil
		}
		if cfg.NoWait {
			return ErrWouldBlock
		}
		if want := d.watch == WatchChildren; want != childWatch {
			// The listing we decide on must be the one that set the watch,
			// so that no change between listing and watching goes unnoticed.
			if childWatch = want; want {
				continue
			}
		}
		ch, watched, err := e.watchFor(ctx, cfg.Dir, l, d)
		if errors.Is(err, zk.ErrNoNode) {
			continue // gone already: list again
		}
		if err != nil {
			return err
		}
		if cfg.OnWait != nil {
			cfg.OnWait(watched)
		}
		sc.waited = true
		select {
		case ev := <-ch:
			if sc.admitsOnWake(ev, d) {
				e.Seq = d.seq
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-s.Done():
			return s.Err()
		}
	}
}

// list returns *pre (once) or lists dir, with a children watch if asked.
func (e *Entry) list(ctx context.Context, dir string, childWatch bool, pre **listing) (*listing, error) {
	if l := *pre; l != nil {
		*pre = nil
		return l, nil
	}
	var l listing
	var err error
	if childWatch {
		l.children, l.st, l.watch, err = e.Session.ChildrenW(ctx, dir)
	} else {
		l.buf, l.st, err = seam.Listing(ctx, e.Session, dir)
		l.children = l.buf.Names
	}
	return &l, err
}

// watchFor returns the watch to wait on for decision d: the listing's
// children watch, or a data watch on the node d names.
func (e *Entry) watchFor(ctx context.Context, dir string, l *listing, d decision) (<-chan zk.Event, string, error) {
	if d.watch == WatchChildren {
		return l.watch, dir, nil
	}
	// A data watch, not an exists watch: if the node is already gone the
	// server sets no watch (zk.ErrNoNode), so none is left behind.
	p := zkpath.Join(dir, d.watchName)
	_, _, ch, err := e.Session.GetW(ctx, p)
	return ch, p, err
}

// decide is decide for our node; a listing without it means our session
// ended or someone else deleted it.
func (e *Entry) decide(cfg Config, markers []string, l *listing) (decision, error) {
	d, err := decide(cfg, markers, e.Name, l.children)
	if errors.Is(err, errNotListed) {
		if serr := e.Session.Err(); serr != nil {
			return d, serr
		}
		return d, fmt.Errorf("%w: %s", ErrNodeGone, e.Path)
	}
	return d, err
}

// decision is what one listing says about us.
type decision struct {
	self      int    // our index among the contenders, in sequence order
	seq       int32  // our sequence number
	ok        bool   // the predicate holds: we are in
	watch     int    // else the index of the node to watch (or WatchChildren)
	watchName string // the name of that node
	last      bool   // the watched node alone keeps us out (see lastObstacle)
}

// errNotListed: our node is not among the children listed.
var errNotListed = errors.New("contender node not listed")

// decide parses a listing of the contenders and applies cfg's Check and
// Predicate to it, for our node named name.
func decide(cfg Config, markers []string, name string, children []string) (decision, error) {
	pred := cfg.Predicate
	if pred == nil {
		if cfg.Check == nil {
			return scanFirst(markers, name, children)
		}
		pred = MaxLeases(1)
	}
	nodes := zkpath.ParseChildren(children, markers...)
	self := slices.IndexFunc(nodes, func(n zkpath.Node) bool { return n.Name == name })
	if self < 0 {
		return decision{}, errNotListed
	}
	if cfg.Check != nil {
		if err := cfg.Check(nodes, self); err != nil {
			return decision{}, err
		}
	}
	ok, watch := pred(nodes, self)
	d := decision{self: self, seq: nodes[self].Seq, ok: ok, watch: watch}
	if !ok && watch >= 0 {
		d.watchName = strings.Clone(nodes[watch].Name) // the listing's buffer is reused
		d.last = lastObstacle(pred, nodes, self, watch)
	}
	return d, nil
}

// scanFirst is decide for the first-in-line predicate (MaxLeases(1))
// without a Check, in one pass over the listing: it counts the
// contenders ahead of our node and keeps the nearest, parsing each name
// once, allocating nothing and sorting nothing (zk.Lock's scan, with
// decide's order). With many contenders the listing is most of a wait's
// client work: parsing it into a sorted slice cost every contender an
// allocation and a sort of every sibling on every listing.
func scanFirst(markers []string, name string, children []string) (decision, error) {
	me, ok := scanNode(name, markers)
	if !ok {
		return decision{}, errNotListed
	}
	listed, ahead := false, 0
	var pred zkpath.Node
	for _, c := range children {
		if c == name {
			listed = true
			continue
		}
		n, ok := scanNode(c, markers)
		if !ok || !zkpath.Before(n, me) {
			continue
		}
		if ahead == 0 || zkpath.Before(pred, n) {
			pred = n
		}
		ahead++
	}
	if !listed {
		return decision{}, errNotListed
	}
	d := decision{self: ahead, seq: me.Seq, ok: ahead == 0, watch: -1}
	if !d.ok {
		// Without the node just ahead we would be first only if it was
		// the only one ahead (see lastObstacle).
		d.watch, d.watchName, d.last = ahead-1, strings.Clone(pred.Name), ahead == 1 // the listing's buffer is reused
	}
	return d, nil
}

// scanNode parses name as a contender of one of markers, without its
// session (scanFirst needs only the order).
func scanNode(name string, markers []string) (zkpath.Node, bool) {
	for _, m := range markers {
		if seq, ok := zkpath.SeqOf(name, m); ok {
			return zkpath.Node{Name: name, Seq: seq}, true
		}
	}
	return zkpath.Node{}, false
}

// Leave deletes our node, releasing what it held. A node already gone with
// its session counts as released.
func (e *Entry) Leave(ctx context.Context) error {
	err := cleanup.Delete(ctx, e.Session, e.Path)
	if e.warm != nil {
		e.warm.left(e.Seq, err == nil)
	}
	return err
}

// Release is Leave that does not give up (see cleanup.Remove): if the
// delete fails (ctx done, connection down beyond the retry policy) while
// the session lives, a client-owned goroutine keeps deleting until it
// succeeds or the session ends, so a release never leaves a node that
// blocks others for good. It returns Leave's error, so the caller knows
// the release was delayed.
//
// While the connection is suspended it does not wait for it: the delete is
// handed to that goroutine at once (a partitioned holder would otherwise
// wait until the session is declared lost), and Release returns nil.
func (e *Entry) Release(ctx context.Context) error {
	gone, err := cleanup.Remove(ctx, seam.Spawner(e.c), e.Session, e.Path)
	if e.warm != nil {
		e.warm.left(e.Seq, gone)
	}
	return err
}
