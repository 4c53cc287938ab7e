package contend

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// nodes builds sorted contenders from kinds: 'r' a reader, 'w' a writer
// (or a mutex contender), numbered 0, 1, ...
func nodes(kinds string) []zkpath.Node {
	out := make([]zkpath.Node, len(kinds))
	for i, k := range kinds {
		marker := WriteMarker
		if k == 'r' {
			marker = ReadMarker
		}
		out[i] = zkpath.Node{Name: fmt.Sprintf("_c_x-%s%010d", marker, i), Seq: int32(i)}
	}
	return out
}

var predicates = []struct {
	name string
	p    Predicate
}{
	{"MaxLeases(1)", MaxLeases(1)},
	{"MaxLeases(2)", MaxLeases(2)},
	{"Writer", Writer()},
	{"Reader", Reader(nil)},
	{"Reader(own node 0)", Reader(func(n zkpath.Node) bool { return n.Seq == 0 })},
	{"AtMost(2)", AtMost(2)},
}

func TestPredicates(t *testing.T) {
	cases := []struct {
		pred      Predicate
		kinds     string
		self      int
		ok        bool
		watch     int
		predicate string
	}{
		{MaxLeases(1), "w", 0, true, -1, "mutex, alone"},
		{MaxLeases(1), "www", 2, false, 1, "mutex watches its predecessor"},
		{MaxLeases(2), "www", 1, true, -1, "second of two leases"},
		{MaxLeases(2), "wwww", 3, false, 1, "semaphore watches n ahead"},
		{Reader(nil), "rrr", 2, true, -1, "readers skip readers"},
		{Reader(nil), "rwrr", 3, false, 1, "reader watches the nearest writer ahead"},
		{Reader(nil), "wrwr", 3, false, 2, "not the first writer: the nearest"},
		{Reader(func(n zkpath.Node) bool { return n.Seq == 0 }), "wr", 1, true, -1, "downgrade: our own write node"},
		{Writer(), "rrw", 2, false, 1, "writer waits for every reader"},
		{AtMost(2), "ww", 1, true, -1, "lease within the limit"},
		{AtMost(2), "www", 0, false, WatchChildren, "over the limit, whatever our place"},
	}
	for _, c := range cases {
		ok, watch := c.pred(nodes(c.kinds), c.self)
		if ok != c.ok || watch != c.watch {
			t.Errorf("%s: got %v, %d; want %v, %d", c.predicate, ok, watch, c.ok, c.watch)
		}
	}
}

// allKinds lists every string of 'r' and 'w' of length 1..n.
func allKinds(n int) []string {
	out := []string{""}
	var all []string
	for range n {
		var next []string
		for _, s := range out {
			next = append(next, s+"r", s+"w")
		}
		all, out = append(all, next...), next
	}
	return all
}

// withoutAhead returns nodes minus those ahead of self whose bit is set
// in mask, and self's new index.
func withoutAhead(ns []zkpath.Node, self int, mask int) ([]zkpath.Node, int) {
	var out []zkpath.Node
	newSelf := self
	for i, n := range ns {
		if i < self && mask&(1<<i) != 0 {
			newSelf--
			continue
		}
		out = append(out, n)
	}
	return out, newSelf
}

// The wait relies on monotonicity: removing contenders ahead of us never
// turns ok from true to false (no node is ever created ahead of ours).
func TestPredicatesAreMonotone(t *testing.T) {
	for _, p := range predicates {
		for _, kinds := range allKinds(6) {
			ns := nodes(kinds)
			for self := range ns {
				if ok, _ := p.p(ns, self); !ok {
					continue
				}
				for mask := range 1 << self {
					rest, rself := withoutAhead(ns, self, mask)
					if ok, _ := p.p(rest, rself); !ok {
						t.Fatalf("%s on %q at %d: ok, but not without nodes %b ahead", p.name, kinds, self, mask)
					}
				}
			}
		}
	}
}

// lastObstacle is what lets a wake-up skip the listing: when it holds, the
// watched node's deletion admits us whatever else ahead of us went too;
// when the watched node is not all that keeps us out, it must not hold.
func TestLastObstacle(t *testing.T) {
	cases := []struct {
		pred  Predicate
		kinds string
		self  int
		want  bool
		name  string
	}{
		{MaxLeases(1), "ww", 1, true, "mutex: the predecessor is the last obstacle"},
		{MaxLeases(1), "www", 2, false, "mutex: two ahead, the predecessor is not the last"},
		{MaxLeases(2), "wwww", 3, false, "semaphore: two ahead still hold the leases"},
		{MaxLeases(2), "www", 2, true, "semaphore: one lease frees with the watched node"},
		{Reader(nil), "rwr", 2, true, "reader behind one writer"},
		{Reader(nil), "wwr", 2, false, "reader behind two writers"},
		{Writer(), "rrw", 2, false, "writer behind two readers"},
	}
	for _, c := range cases {
		ns := nodes(c.kinds)
		ok, watch := c.pred(ns, c.self)
		if ok || watch < 0 {
			t.Fatalf("%s: the case must wait on a node", c.name)
		}
		if got := lastObstacle(c.pred, ns, c.self, watch); got != c.want {
			t.Errorf("%s: lastObstacle = %v, want %v", c.name, got, c.want)
		}
	}
	// Soundness over every small case: if lastObstacle holds, every later
	// state of the listing without the watched node admits us.
	for _, p := range predicates {
		for _, kinds := range allKinds(6) {
			ns := nodes(kinds)
			for self := range ns {
				ok, watch := p.p(ns, self)
				if ok || watch < 0 {
					continue
				}
				before := slices.Clone(ns)
				last := lastObstacle(p.p, ns, self, watch)
				if !slices.Equal(ns, before) {
					t.Fatalf("%s on %q at %d: lastObstacle changed the listing", p.name, kinds, self)
				}
				if !last {
					continue
				}
				for mask := range 1 << self {
					rest, rself := withoutAhead(ns, self, mask|1<<watch)
					if ok, _ := p.p(rest, rself); !ok {
						t.Fatalf("%s on %q at %d: last obstacle %d gone (with %b), yet not admitted", p.name, kinds, self, watch, mask)
					}
				}
			}
		}
	}
}

// decide parses a listing as Curator names its nodes, ignores strangers
// and orders by sequence number, never by name.
func TestDecideParsesTheListing(t *testing.T) {
	const me = "_c_0b-lock-0000000012"
	children := []string{
		"_c_zz-lock-0000000011", // ahead, though sorted after us by name
		me,
		"_c_aa-lock-0000000013",
		"lock-0000000010", // Curator without protection
		"stranger",
		"_c_x-lease-0000000001", // another kind
	}
	for _, cfg := range []Config{{Predicate: MaxLeases(1)}, {}} {
		d, err := decide(cfg, []string{"lock-"}, me, children)
		if err != nil {
			t.Fatal(err)
		}
		if d.self != 2 || d.seq != 12 || d.ok || d.watch != 1 || d.watchName != "_c_zz-lock-0000000011" || d.last {
			t.Errorf("nil predicate %v: decide = %+v; want self 2 seq 12, waiting on 1 (_c_zz-lock-0000000011), not last",
				cfg.Predicate == nil, d)
		}
		if _, err := decide(cfg, []string{"lock-"}, "_c_gone-lock-0000000099", children); !errors.Is(err, errNotListed) {
			t.Errorf("nil predicate %v: our node missing: err %v, want errNotListed", cfg.Predicate == nil, err)
		}
	}

	rw := []string{"_c_a-" + WriteMarker + "0000000001", "_c_b-" + ReadMarker + "0000000002"}
	d, err := decide(Config{Predicate: Reader(nil)}, []string{ReadMarker, WriteMarker}, rw[1], rw)
	if err != nil || d.ok || d.watch != 0 || d.watchName != rw[0] {
		t.Errorf("read-write listing: %+v, %v", d, err)
	}

	cfg := Config{Predicate: MaxLeases(1)}
	refuse := errors.New("refused")
	cfg.Check = func([]zkpath.Node, int) error { return refuse }
	if _, err := decide(cfg, []string{"lock-"}, me, children); err != refuse {
		t.Errorf("Check's error: got %v", err)
	}
}

// A nil Predicate (scanFirst) decides every listing as MaxLeases(1) on
// the parsed and sorted listing does: the same place, the same node to
// watch, the same last obstacle, whatever the order of the names, with
// strangers, other kinds, Curator's unprotected names, sequence numbers
// past the counter's overflow and equal numbers under different names.
func TestScanFirstDecidesAsMaxLeases(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	markers := []string{WriteMarker, ReadMarker}
	for i := range 2000 {
		n := 1 + rnd.IntN(12)
		var children []string
		for j := range n {
			seq := int32(rnd.IntN(20))
			if rnd.IntN(8) == 0 {
				seq = math.MinInt32 + seq // the parent's counter overflowed
			}
			name := fmt.Sprintf("_c_%02d-%s%010d", j, markers[rnd.IntN(2)], seq)
			switch rnd.IntN(10) {
			case 0:
				name = "stranger"
			case 1:
				name = fmt.Sprintf("_c_%02d-lease-%010d", j, seq)
			case 2:
				name = fmt.Sprintf("%s%010d", WriteMarker, seq) // unprotected
			}
			if !slices.Contains(children, name) { // names are unique in a directory
				children = append(children, name)
			}
		}
		n = len(children)
		name := children[rnd.IntN(n)]
		for _, ms := range [][]string{markers, {WriteMarker}} {
			want, werr := decide(Config{Predicate: MaxLeases(1)}, ms, name, children)
			got, gerr := decide(Config{}, ms, name, children)
			if werr != nil || gerr != nil {
				if !errors.Is(gerr, errNotListed) || !errors.Is(werr, errNotListed) {
					t.Fatalf("case %d %v, us %s: errors %v (scan) vs %v (sorted)", i, children, name, gerr, werr)
				}
				continue
			}
			if got != want {
				t.Fatalf("case %d %v, markers %v, us %s: scan %+v, sorted %+v", i, children, ms, name, got, want)
			}
		}
	}
}
