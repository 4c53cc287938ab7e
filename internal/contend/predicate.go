package contend

import "github.com/zkrecipes/zkrecipes/internal/zkpath"

// Predicate decides, from the sorted contenders and our index among them,
// whether we hold the resource; if not, it names the single contender whose
// deletion could change the answer, which is the only node we watch. Every
// waiter watches a different node, so a release wakes one waiter: no herd.
// A predicate must be monotone: removing contenders ahead of self never
// turns ok from true to false (the wait relies on it, see lastObstacle).
type Predicate func(nodes []zkpath.Node, self int) (ok bool, watch int)

// WatchChildren, returned by a Predicate as the node to watch, asks for a
// watch on the children of Dir instead of on one node: any arrival or
// departure wakes us. Every waiter that asks for it wakes on every change,
// so only predicates whose callers serialise their waiting (AtMost, under
// the semaphore's admission mutex) use it.
const WatchChildren = -2

// MaxLeases admits the first n contenders (n=1: a mutex, or a leader).
func MaxLeases(n int) Predicate {
	return func(nodes []zkpath.Node, self int) (bool, int) {
		if self < n {
			return true, -1
		}
		return false, self - n
	}
}

// Kinds of contender in a read-write lock, told apart by name.
const (
	ReadMarker  = "__READ__"
	WriteMarker = "__WRIT__"
)

// IsWrite reports whether a read-write contender is a writer.
func IsWrite(n zkpath.Node) bool { return markerOf(n.Name) == WriteMarker }

func markerOf(name string) string {
	if len(name) < zkpath.SeqLen+len(ReadMarker) {
		return ""
	}
	return name[len(name)-zkpath.SeqLen-len(ReadMarker) : len(name)-zkpath.SeqLen]
}

// Reader admits a reader when no writer is ahead of it (readers skip earlier
// readers), watching the nearest writer ahead; own names a node of the same
// holder (a write-lock holder downgrading) that does not block us.
func Reader(own func(zkpath.Node) bool) Predicate {
	return func(nodes []zkpath.Node, self int) (bool, int) {
		for i := self - 1; i >= 0; i-- {
			if IsWrite(nodes[i]) && (own == nil || !own(nodes[i])) {
				return false, i
			}
		}
		return true, -1
	}
}

// Writer admits a writer when it is first, watching its predecessor. A
// Config says so with a nil Predicate, which decides by one scan (see
// scanFirst); the two agree (TestScanFirstDecidesAsMaxLeases).
func Writer() Predicate { return MaxLeases(1) }

// AtMost admits us while there are at most n contenders in all, ourselves
// included, whatever their order: Curator's InterProcessSemaphoreV2 rule
// for its lease nodes. Otherwise it asks for a children watch, since the
// departure of any holder may admit us. Callers serialise admission with a
// mutex, so at most one contender waits this way at a time: no herd.
func AtMost(n int) Predicate {
	return func(nodes []zkpath.Node, self int) (bool, int) {
		if len(nodes) <= n {
			return true, -1
		}
		return false, WatchChildren
	}
}
