package contend

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// parent models what ZooKeeper keeps of a parent node: creates counts the
// children ever created (the next sequence number), and the stat reports
// cversion = creates + deletes (2*creates - numChildren), in int32.
type parent struct {
	creates, children int32
	zxid, pzxid       int64
}

func (p *parent) create() int32 {
	seq := p.creates
	p.creates++
	p.children++
	p.zxid++
	p.pzxid = p.zxid
	return seq
}

func (p *parent) delete() {
	p.children--
	p.zxid++
	p.pzxid = p.zxid
}

func (p *parent) stat() *zk.Stat {
	return &zk.Stat{Cversion: 2*p.creates - p.children, NumChildren: p.children, Pzxid: p.pzxid}
}

// The lazy token is the parent's pzxid only when the listing proves that
// no sibling was created after our node: else a later holder's czxid
// could fall below it.
func TestPzxidTokenOnlyWhenNothingWasCreatedSince(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		p := &parent{creates: rng.Int32N(50)}
		if i%10 == 0 {
			p.creates = math.MaxInt32 - rng.Int32N(3) // the counter about to wrap
		}
		p.children = 0
		for range rng.IntN(4) { // siblings ahead of us, some gone
			p.create()
			if rng.IntN(2) == 0 {
				p.delete()
			}
		}
		seq := p.create()
		czxid := p.zxid
		createdSince := false
		for range rng.IntN(3) { // after our create: deletions of others, creations
			if rng.IntN(2) == 0 && p.children > 1 {
				p.delete()
			} else {
				p.create()
				createdSince = true
			}
		}
		token, ok := pzxidToken(p.stat(), seq)
		if ok == createdSince {
			t.Fatalf("case %d: seq %d, stat %+v: ok = %v, but created since = %v", i, seq, p.stat(), ok, createdSince)
		}
		if ok && token < czxid {
			t.Fatalf("case %d: token %d below our czxid %d", i, token, czxid)
		}
	}
	for _, st := range []*zk.Stat{nil, {Cversion: 1, NumChildren: 1}} {
		if _, ok := pzxidToken(st, 0); ok {
			t.Errorf("pzxidToken(%+v) settled a token without a pzxid", st)
		}
	}
}

// The wake-up without listing needs all three: the watched node was the
// last obstacle, the event is its deletion, and our own node is intact.
func TestAdmitsOnWakeNeedsEveryGuard(t *testing.T) {
	deleted := zk.Event{Type: zk.EventNodeDeleted}
	cases := []struct {
		name  string
		last  bool
		ev    zk.Event
		own   bool
		admit bool
	}{
		{"last obstacle deleted, ours intact", true, deleted, true, true},
		{"not the last obstacle", false, deleted, true, false},
		{"a data change, not a deletion", true, zk.Event{Type: zk.EventNodeDataChanged}, true, false},
		{"watch lost with the connection", true, zk.Event{Type: zk.EventNotWatching}, true, false},
		{"our own node may be gone", true, deleted, false, false},
	}
	for _, c := range cases {
		sc := &shortcuts{own: func() bool { return c.own }}
		if got := sc.admitsOnWake(c.ev, decision{last: c.last}); got != c.admit {
			t.Errorf("%s: admitsOnWake = %v, want %v", c.name, got, c.admit)
		}
	}
	// ownIntact itself: not before the own-node stat is in, nor without a
	// watch known to be set on this connection.
	e := &Entry{ready: make(chan struct{})}
	if e.ownIntact() {
		t.Error("ownIntact before the stat reply")
	}
	close(e.ready)
	if e.ownIntact() {
		t.Error("ownIntact without an own-node watch")
	}
}

// listed settles the lazy token once, and records a relock base only for
// an admission on the first listing with nobody ahead.
func TestListedFeedsTokenAndRelock(t *testing.T) {
	lone := &listing{st: &zk.Stat{Czxid: 7, Cversion: 1, NumChildren: 1, Pzxid: 40}}
	cases := []struct {
		name       string
		lazy       bool
		noWait     bool
		waited     bool
		d          decision
		wantToken  int64
		wantParent int64
	}{
		{"lazy, alone", true, false, false, decision{ok: true, self: 0, seq: 0}, 40, 7},
		{"eager: the stat request settles it", false, false, false, decision{ok: true, self: 0, seq: 0}, 0, 7},
		{"admitted after a wait: no relock base", true, false, true, decision{ok: true, self: 0, seq: 0}, 40, 0},
		{"admitted behind others (a lease): no relock base", true, false, false, decision{ok: true, self: 1, seq: 0}, 40, 0},
	}
	for _, c := range cases {
		e := &Entry{ready: make(chan struct{})}
		sc := newShortcuts(e, Config{Lazy: c.lazy, NoWait: c.noWait})
		sc.waited = c.waited
		sc.listed(lone, c.d)
		if e.token != c.wantToken || e.parent != c.wantParent {
			t.Errorf("%s: token %d parent %d, want %d, %d", c.name, e.token, e.parent, c.wantToken, c.wantParent)
		}
		if c.lazy && sc.settle {
			t.Errorf("%s: the token is still to settle after the first listing", c.name)
		}
	}
}

// Warm's transitions: a relock is admitted with one create only while the
// chain from the last hold is unbroken.
func TestWarmTransitions(t *testing.T) {
	s1, s2 := &zkrecipes.Session{}, &zkrecipes.Session{}
	watching := true
	newWarm := func() *Warm {
		return &Warm{watching: func(*zkrecipes.Session, string, int64) bool { return watching }}
	}
	// A chain: two listed holds, then single-create holds.
	w := newWarm()
	if w.ready(s1) {
		t.Fatal("a fresh handle tries the single create")
	}
	if w.held(s1, "/l", 4, 100, 1000) {
		t.Error("the first hold sets the parent watch")
	}
	w.left(4, true)
	if !w.held(s1, "/l", 5, 100, 1001) {
		t.Error("the second hold in a row does not set the parent watch")
	}
	w.left(5, true)
	if !w.ready(s1) {
		t.Fatal("not ready after a released hold")
	}
	if tok, ok := w.admits(s1, 6); !ok || tok != 1002 {
		t.Fatalf("admits(6) = %d, %v; want 1002 (last token plus one), true", tok, ok)
	}
	if w.ready(s1) {
		t.Error("ready while the last hold is not released")
	}
	w.left(6, true)
	if tok, ok := w.admits(s1, 7); !ok || tok != 1003 {
		t.Fatalf("admits(7) = %d, %v; want 1003, true", tok, ok)
	}

	breaks := []struct {
		name string
		step func(w *Warm) bool // reports whether the chain still admits seq 7
	}{
		{"a node created in between (seq skips)", func(w *Warm) bool { _, ok := w.admits(s1, 8); return ok }},
		{"another session", func(w *Warm) bool { return w.ready(s2) }},
		{"the parent watch fired or is on an old connection", func(w *Warm) bool {
			watching = false
			defer func() { watching = true }()
			_, ok := w.admits(s1, 7)
			return ok
		}},
		{"the last release failed", func(w *Warm) bool { w.left(6, false); _, ok := w.admits(s1, 7); return ok }},
		{"a failed Enter", func(w *Warm) bool { w.broken(); _, ok := w.admits(s1, 7); return ok }},
		{"a hold admitted after a wait", func(w *Warm) bool {
			w.held(s1, "/l", 7, 0, 1003)
			w.left(7, true)
			_, ok := w.admits(s1, 8)
			return ok
		}},
		{"a hold whose token was not known at once", func(w *Warm) bool {
			w.held(s1, "/l", 7, 100, 0)
			w.left(7, true)
			_, ok := w.admits(s1, 8)
			return ok
		}},
	}
	for _, b := range breaks {
		w := newWarm()
		w.held(s1, "/l", 5, 100, 1001)
		w.left(5, true)
		_, _ = w.admits(s1, 6)
		w.left(6, true)
		if b.step(w) {
			t.Errorf("%s: the chain still admits a single create", b.name)
		}
	}
	// A Leave of an older hold says nothing of the newer one.
	w = newWarm()
	w.held(s1, "/l", 5, 100, 1001)
	w.left(5, true)
	_, _ = w.admits(s1, 6)
	w.left(5, true)
	if w.ready(s1) {
		t.Error("an old hold's Leave released the new one")
	}
	var none *Warm
	none.broken()
	if none.held(s1, "/l", 1, 1, 1) {
		t.Error("a nil Warm asks for a watch")
	}
}
