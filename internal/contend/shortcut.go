package contend

import (
	"github.com/zkrecipes/zkrecipes/internal/seam"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// shortcuts are the ways a wait saves a round trip, kept beside the loop
// (Entry.wait), which only tells them what it saw and asks one question:
//
//   - the lazy token: a Lazy entry's fencing token from its first listing,
//     without a request for our node's stat (see pzxidToken);
//   - the wake-up without listing: the deletion of the one node that kept
//     us out admits us, if our own node's watch proves ours still there
//     (see lastObstacle and Entry.ownIntact);
//   - the relock: the parent's czxid when the first listing admitted us
//     with nobody ahead and no wait, which a Warm handle's next Enter
//     builds on (see Warm; its single create is in enterWarm).
//
// Each has a unit test that fails without its guard (shortcut_test.go).
type shortcuts struct {
	e      *Entry
	settle bool // the lazy token is still to be settled from a listing
	noWait bool
	waited bool // a wait began: a later admission is no relock base
	// own reports whether our node is intact (Entry.ownIntact; tests
	// replace it)
	own func() bool
}

func newShortcuts(e *Entry, cfg Config) *shortcuts {
	return &shortcuts{e: e, settle: cfg.Lazy, noWait: cfg.NoWait, own: e.ownIntact}
}

// listed is told what each listing decided.
func (sc *shortcuts) listed(l *listing, d decision) {
	// A NoWait entry kept out is abandoned: no token needed.
	if sc.settle && (d.ok || !sc.noWait) {
		sc.settle = false
		sc.e.firstListing(l.st, d.seq, d.last)
	}
	if d.ok && !sc.waited && d.self == 0 && l.st != nil {
		sc.e.parent = l.st.Czxid // nobody ahead: Warm may count on it
	}
}

// admitsOnWake reports whether ev, fired on the watch that decision d
// chose, admits us without listing again: the one node between us and
// the resource is gone and ours is not.
func (sc *shortcuts) admitsOnWake(ev zk.Event, d decision) bool {
	return d.last && ev.Type == zk.EventNodeDeleted && sc.own()
}

// lastObstacle reports whether the watched node is all that keeps the
// predicate from holding: it would hold on this listing without it. Then
// its deletion alone admits us, whatever else changed meanwhile, because
// a change can only remove nodes ahead of us (sequence numbers only grow,
// so no node is ever created ahead of ours) and a predicate never turns
// false when nodes ahead of us go (TestPredicatesAreMonotone).
func lastObstacle(pred Predicate, nodes []zkpath.Node, self, watch int) bool {
	if watch >= self {
		return false
	}
	// The listing without the watched node, made in place and undone
	// (nodes is the caller's): a copy would cost every contender an
	// allocation of the whole listing on every listing.
	w, last := nodes[watch], len(nodes)-1
	copy(nodes[watch:], nodes[watch+1:])
	ok, _ := pred(nodes[:last], self-1)
	copy(nodes[watch+1:], nodes[watch:last])
	nodes[watch] = w
	return ok
}

// firstListing settles a Lazy entry's token from its first listing, made
// right after our create, when it can (see pzxidToken); otherwise it asks
// for our czxid on a client-owned goroutine while we wait. It also asks
// when the entry is about to wait for its last obstacle (wantWatch): the
// request sets the own-node watch that lets the wake-up skip the listing
// (see ownIntact). Deeper in a queue the watch would rarely serve, so it
// is not worth a request.
func (e *Entry) firstListing(st *zk.Stat, seq int32, wantWatch bool) {
	if token, ok := pzxidToken(st, seq); ok && !wantWatch {
		e.token = token
		close(e.ready)
		return
	}
	if !seam.Go(e.c, e.fetchOwnLazy) {
		e.ownErr = zkrecipes.ErrClosed
		close(e.ready)
	}
}

// pzxidToken returns the parent's pzxid as the fencing token of our node,
// numbered seq, if st, the parent's stat in a listing made after our
// create, proves that no sibling was created between the two.
//
// ZooKeeper names a sequential node after the number of children its
// parent ever had created (kept as the parent's internal cversion, which
// the create then increments) and reports a cversion of 2*creates -
// numChildren (creates plus deletes). So cversion + numChildren ==
// 2*(seq+1) proves that no sibling was created between our create and
// this listing. The parent's pzxid P, the zxid of the last child creation
// or deletion, is then the zxid of our create or of a later deletion, and
// orders holders as our czxid would: every earlier holder's node was
// deleted no later than P, every later holder's node is created after this
// listing, with a greater zxid. (int32 arithmetic wraps like the server's
// counters.)
func pzxidToken(st *zk.Stat, seq int32) (int64, bool) {
	if st == nil || st.Pzxid == 0 || st.Cversion+st.NumChildren != 2*(seq+1) {
		return 0, false
	}
	return st.Pzxid, true
}

// ownIntact reports whether our node, seen to exist when its watch was
// set, still did when the event we just read was sent: the watch was set
// on the connection we still use and has not fired. A server sends one
// connection's events in the order of the changes that fire them, so had
// our node been deleted first, its event would be here already. It must
// be called only before Enter returns (it may consume the watch, which
// Lost then sets again).
func (e *Entry) ownIntact() bool {
	select {
	case <-e.ready:
	default:
		return false
	}
	if e.ownErr != nil || e.watch == nil || e.watchConn == 0 || seam.Connections(e.Session) != e.watchConn {
		return false
	}
	select {
	case <-e.watch:
		e.watch = nil
		return false
	default:
		return true
	}
}
