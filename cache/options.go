package cache

import (
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
)

// Option configures a cache. An invalid option, or one the constructor it
// is given to does not take, is reported by that constructor.
type Option func(*options)

type options struct {
	maxDepth    int                    // levels below the root: 0 node, 1 children, -1 unlimited
	depthSet    bool                   // WithMaxDepth was given
	filter      func(path string) bool // nil: every node
	statOnly    bool                   // WithoutData
	maxInFlight int
	watches     Watches
	misuse.Errs // the first invalid option
}

// Watches is how a cache learns of changes.
type Watches int

const (
	// Persistent follows the tree with one persistent recursive watch on
	// the root (ZooKeeper 3.6+): no watch per node, a read per change, a
	// full read after every new connection. A server without them (3.5)
	// drops the connection once, and the cache then uses OneShot. The
	// default of NewTree and NewChildren.
	Persistent Watches = iota + 1
	// OneShot leaves a watch on every node's data and children and sets
	// it again after each event; a reconnection in the same session keeps
	// them. The default of NewNode.
	OneShot
)

// testWatches, if set, is the default of every constructor (tests only).
var testWatches Watches

// WithWatches chooses how the cache learns of changes (see Watches).
func WithWatches(w Watches) Option {
	return func(o *options) {
		if w != Persistent && w != OneShot {
			o.Fail("WithWatches(%d): not a Watches value", int(w))
		}
		o.watches = w
	}
}

// DefaultMaxInFlight is how many reads a cache keeps outstanding at most
// while it loads (see WithMaxInFlight).
const DefaultMaxInFlight = 256

// WithMaxDepth limits a tree cache to the nodes at most depth levels below
// its root (0: the root alone, 1: the root and its children). NewTree
// only; the default is unlimited.
func WithMaxDepth(depth int) Option {
	return func(o *options) {
		if depth < 0 {
			o.Fail("WithMaxDepth(%d): must be at least 0", depth)
		}
		o.maxDepth, o.depthSet = depth, true
	}
}

// WithFilter restricts a children or tree cache to the nodes below its
// root for which keep returns true; a node left out is not read, and
// neither is anything below it. keep is called on the cache's goroutine
// with paths relative to the client's namespace and must not block.
func WithFilter(keep func(path string) bool) Option {
	return func(o *options) {
		if keep == nil {
			o.Fail("WithFilter(nil)")
		}
		o.filter = keep
	}
}

// WithoutData makes a children or tree cache keep the stats of the nodes
// below its root but not their data (Curator's cacheData(false)): it
// reads them with exists instead of getData. The root's data is kept.
func WithoutData() Option {
	return func(o *options) { o.statOnly = true }
}

// WithMaxInFlight bounds the reads a cache keeps outstanding at once
// (default DefaultMaxInFlight). Reads are pipelined on the client's
// connection, so a large bound loads a large tree faster.
func WithMaxInFlight(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.Fail("WithMaxInFlight(%d): must be at least 1", n)
		}
		o.maxInFlight = n
	}
}

// construct checks what every constructor takes (see internal/misuse);
// depth is the constructor's fixed depth, or -1 for NewTree.
func construct(fn string, c *zkrecipes.Client, path string, depth int, opts []Option) (options, error) {
	o := options{maxDepth: -1, maxInFlight: DefaultMaxInFlight}
	if err := misuse.Construct("cache", fn, c, path, &o, &o.Errs, opts); err != nil {
		return o, err
	}
	if depth >= 0 {
		if o.depthSet {
			return o, misuseErr(fn, "WithMaxDepth is for NewTree only")
		}
		o.maxDepth = depth
	}
	if o.watches == 0 {
		o.watches = Persistent
		if depth == 0 {
			o.watches = OneShot
		}
		if testWatches != 0 {
			o.watches = testWatches
		}
	}
	if depth == 0 && (o.filter != nil || o.statOnly) {
		return o, misuseErr(fn, "WithFilter and WithoutData are for caches of children or trees")
	}
	return o, nil
}
