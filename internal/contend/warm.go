package contend

import (
	"sync"

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
// it would have fired before the create's reply arrived (see
// watchingParent; the watch is shared by the session's handles).
//
// The fencing token of such a hold is the last hold's token plus one,
// without a request. The last token is below the zxid of our last node's
// deletion (a zxid seen before it, or by induction one more than such a
// token), so the new one is at most that zxid, below our new node's czxid;
// every later holder's node is created after our new one, with a greater
// zxid and token; and every earlier holder's token is at most the last.
//
// A Warm belongs to one handle; its methods may be called from the
// handle's goroutines.
type Warm struct {
	mu       sync.Mutex
	s        *zkrecipes.Session // session of the last hold
	dir      string
	seq      int32 // sequence number of the last hold's node
	token    int64 // the last hold's token; 0: the chain is broken
	parent   int64 // czxid of the parent the last hold's node lived in
	holds    int   // holds recorded in this session and parent incarnation
	released bool  // Leave deleted the last hold's node
	// watching reports whether s watches the parent (watchingParent;
	// unit tests replace it)
	watching func(s *zkrecipes.Session, dir string, czxid int64) bool
}

// ready reports whether the next Enter on s may try the single create.
func (w *Warm) ready(s *zkrecipes.Session) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.intact(s)
}

// intact checks the chain and the parent watch; w.mu is held.
func (w *Warm) intact(s *zkrecipes.Session) bool {
	if w.s != s || w.token == 0 || !w.released {
		return false
	}
	if w.watching != nil {
		return w.watching(s, w.dir, w.parent)
	}
	return watchingParent(s, w.dir, w.parent)
}

// admits reports whether our new node, numbered seq and created on s, is
// alone; if so it records the hold and returns its token. The create's
// reply is in, so a parent event sent before it is visible already.
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

// held records a hold on s that listed: its node numbered seq under dir,
// parent the czxid of dir when the first listing admitted it with nobody
// ahead (0 otherwise), and token its token if known at once (0
// otherwise: the chain breaks). It reports whether the caller should set
// the parent watch (watchParent): the second such hold in one session and
// parent incarnation asks for it, so that a handle used once, or a lock
// whose parent is reaped between holds, does not pay for a watch it would
// never use. A nil w is a handle without a Warm.
func (w *Warm) held(s *zkrecipes.Session, dir string, seq int32, parent, token int64) (watch bool) {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.released = false
	if parent == 0 || token == 0 {
		w.token, w.holds = 0, 0
		return false
	}
	if w.s != s || w.dir != dir || w.parent != parent {
		w.holds = 0
	}
	w.s, w.dir, w.seq, w.token, w.parent = s, dir, seq, token, parent
	w.holds++
	return w.holds >= 2
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

// left records whether Leave deleted the node numbered seq. A Leave of an
// older hold that ends after a newer hold began says nothing of the newer.
func (w *Warm) left(seq int32, ok bool) {
	w.mu.Lock()
	if seq == w.seq {
		w.released = ok
	}
	w.mu.Unlock()
}
