package contend

import (
	"context"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// Warm lets a handle that takes the same resource again and again, with
// nobody else contending, skip the listing: its next Enter costs one
// create, which proves by itself that nobody is ahead.
//
// ZooKeeper names a sequential node after the number of children its
// parent ever had created. If our new node's number is one more than our
// last node's, nothing was created under the parent in between; nodes ahead
// of our last node were all gone when it was admitted (none can be created
// ahead later), and our last node is gone too (Leave deleted it), so the new
// node is alone, unless the parent itself was reaped and recreated
// meanwhile, its counter restarting at 0. A data watch on the parent rules
// that out: set and answered on the connection that carries our create,
// it would have fired before the create's reply arrived.
//
// The fencing token of such a hold is the last hold's token plus one,
// without a request. The last token is below the zxid of our last node's
// deletion (a zxid seen before it, or by induction one more than such a
// token), so the new one is at most that zxid, below our new node's czxid;
// every later holder's node is created after our new one, with a greater
// zxid and token; and every earlier holder's token is at most the last.
//
// A Warm belongs to one handle; its methods may be called from the
// handle's goroutines and the arming goroutine.
type Warm struct {
	mu       sync.Mutex
	s        *zkrecipes.Session // session of the last hold
	dir      string
	seq      int32 // sequence number of the last hold's node
	token    int64 // the last hold's token; 0: the chain is broken
	parent   int64 // czxid of the parent the last hold's node lived in
	holds    int   // holds recorded since the chain was last broken
	released bool  // Leave deleted the last hold's node
	arming   bool
	watch    <-chan zk.Event    // data watch on the parent...
	watchS   *zkrecipes.Session // ...set in this session...
	conns    int64              // ...and answered on this connection
}

// ready reports whether the next Enter on s may try the single create.
func (w *Warm) ready(s *zkrecipes.Session) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.intact(s)
}

// intact checks the chain and the parent watch; w.mu is held.
func (w *Warm) intact(s *zkrecipes.Session) bool {
	return w.s == s && w.token != 0 && w.released && w.watching(s)
}

// watching reports whether the parent watch is set on s's connection and
// has not fired; w.mu is held.
func (w *Warm) watching(s *zkrecipes.Session) bool {
	if w.watch == nil || w.watchS != s || s.Connections() != w.conns {
		return false
	}
	select {
	case <-w.watch:
		w.watch = nil // the parent changed or went: the watch is spent
		return false
	default:
		return true
	}
}

// admits reports whether our new node, numbered seq and created on s, is
// alone; if so it records the hold and returns its token. The create's
// reply is in, so a parent event sent before it is in the watch's channel
// already.
func (w *Warm) admits(s *zkrecipes.Session, seq int32) (int64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.intact(s) || seq != w.seq+1 {
		w.token, w.holds = 0, 0
		return 0, false
	}
	w.seq, w.released = seq, false
	w.token++
	return w.token, true
}

// held records a hold that listed. parent is the czxid of the parent of e's
// node when the first listing admitted it with nobody ahead, and token its
// token if known at once (0 otherwise: the chain breaks). From the second
// such hold on, the parent watch is armed.
func (w *Warm) held(e *Entry, dir string, parent, token int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.released = false
	if parent == 0 || token == 0 {
		w.token, w.holds = 0, 0
		return
	}
	if w.dir != dir || w.parent != parent {
		w.watch = nil // a watch on another parent proves nothing here
	}
	w.s, w.dir, w.seq, w.token, w.parent = e.Session, dir, e.Seq, token, parent
	w.holds++
	if w.holds >= 2 && !w.arming && !w.watching(e.Session) {
		w.arming = true
		if !e.c.Go(func(life context.Context) { w.arm(life, e.Session, dir, parent) }) {
			w.arming = false
		}
	}
}

// broken records a failed Enter: its node, if any, may linger, so the
// next Enter lists. A nil w is a handle without a Warm.
func (w *Warm) broken() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.token, w.holds = 0, 0
	w.mu.Unlock()
}

// left records that Leave deleted the last hold's node (ok) or may not
// have: then the next Enter lists.
func (w *Warm) left(ok bool) {
	w.mu.Lock()
	w.released = ok
	w.mu.Unlock()
}

// arm sets the data watch on the parent. It counts only if the parent is
// the incarnation our last node lived in and the reply came on the
// connection the request went out on. A handle keeps at most one watch per
// connection it armed on; go-zookeeper keeps the earlier one registered
// until the parent changes, which for an uncontended lock's container is
// soon (the server reaps it while empty).
func (w *Warm) arm(ctx context.Context, s *zkrecipes.Session, dir string, parent int64) {
	conns := s.Connections()
	_, st, ch, err := s.GetW(ctx, dir)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.arming = false
	if err != nil || st.Czxid != parent || s.Connections() != conns || w.s != s || w.dir != dir || w.parent != parent {
		return
	}
	w.watch, w.watchS, w.conns = ch, s, conns
}
