package election

import "fmt"

// Node name prefixes (after the protection prefix "_c_<uuid>-"): every Go
// participant and reader counts nodes of both kinds, in sequence order.
const (
	// LatchPrefix names the nodes of the [LeaderLatch] layout, as Curator's
	// LeaderLatch does.
	LatchPrefix = "latch-"
	// SelectorPrefix names the nodes of the [LeaderSelector] layout, as the
	// InterProcessMutex behind Curator's LeaderSelector does (and
	// lock.Mutex, which excludes such participants as it excludes
	// LeaderSelector).
	SelectorPrefix = "lock-"
)

// markers are the node names that take part in an election, whatever the
// layout of our own node. The parent's sequence counter orders nodes of
// both kinds, so Go participants of both layouts at one path elect one
// leader, and Leader, Participants and Observe report it. Curator's
// recipes count only their own kind (LeaderLatch sorts "lock-" nodes, and
// LeaderSelector "latch-" nodes, after its own and never waits for them):
// share a path with Curator participants of one recipe only, in its layout.
var markers = []string{LatchPrefix, SelectorPrefix}

// Layout is the naming of a participant's node, which decides the Curator
// recipe that the participant shares an election with. The election itself
// is the same in both: the participant whose node has the lowest sequence
// number leads, waiters watch the node just ahead, and the node's data is
// the participant id.
type Layout int

const (
	// LeaderLatch nodes are "_c_<uuid>-latch-<sequence>", as Curator's
	// LeaderLatch creates them. The default of [New] (Campaign).
	LeaderLatch Layout = iota + 1
	// LeaderSelector nodes are "_c_<uuid>-lock-<sequence>", as Curator's
	// LeaderSelector creates them through its InterProcessMutex. The
	// default of [Run].
	LeaderSelector
)

// String returns the name of the Curator recipe.
func (l Layout) String() string {
	switch l {
	case LeaderLatch:
		return "LeaderLatch"
	case LeaderSelector:
		return "LeaderSelector"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// prefix returns the node name prefix of l, or "" if l is not a layout.
func (l Layout) prefix() string {
	switch l {
	case LeaderLatch:
		return LatchPrefix
	case LeaderSelector:
		return SelectorPrefix
	}
	return ""
}
