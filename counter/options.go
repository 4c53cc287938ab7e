package counter

import (
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Option configures a SharedCount or an AtomicLong. An invalid option
// value is reported by the constructor it is given to.
type Option func(*options)

type options struct {
	acl          []zk.ACL // nil: the client's default
	lockPath     string   // "": never promote
	promoteAfter int
	backoffBase  time.Duration
	backoffMax   time.Duration
	misuse.Errs  // the first invalid option
}

// Defaults of an AtomicLong's contention handling (see WithBackoff).
const (
	DefaultPromoteAfter = 8
	DefaultBackoffBase  = 2 * time.Millisecond
	DefaultBackoffMax   = 100 * time.Millisecond
)

func defaultOptions() options {
	return options{promoteAfter: DefaultPromoteAfter, backoffBase: DefaultBackoffBase, backoffMax: DefaultBackoffMax}
}

// construct checks what every constructor of this package takes (see
// internal/misuse).
func construct(fn string, c *zkrecipes.Client, path string, opts []Option) (options, error) {
	o := defaultOptions()
	err := misuse.Construct("counter", fn, c, path, &o, &o.Errs, opts)
	return o, err
}

// WithACL sets the ACL of the nodes the counter creates: the counter node
// and its write markers (the client's default ACL otherwise; missing
// parents get the client's). An empty, non-nil ACL is refused.
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.acl = acl
	}
}

// WithPromotionLock makes an AtomicLong whose optimistic writes keep
// losing to other writers take a distributed mutex at lockPath and finish
// the operation while holding it (Curator's PromotedToLock), so that
// contenders queue instead of retrying against each other. The mutex is
// Curator-compatible: Java's InterProcessMutex on the same path excludes
// it. Writes stay versioned under the lock, so a writer that does not use
// the lock (or loses it) can never make an increment count twice.
func WithPromotionLock(lockPath string) Option {
	return func(o *options) {
		if err := zkpath.Validate(lockPath); err != nil {
			o.Fail("WithPromotionLock(%q): %w", lockPath, err)
		}
		o.lockPath = lockPath
	}
}

// WithPromoteAfter sets how many optimistic writes an operation tries
// before it takes the promotion lock (default DefaultPromoteAfter). It has
// no effect without WithPromotionLock.
func WithPromoteAfter(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.Fail("WithPromoteAfter(%d): must be at least 1", n)
		}
		o.promoteAfter = n
	}
}

// WithBackoff sets the wait after the n-th lost optimistic write: random
// in [d/2, d) with d = min(max, base·2ⁿ⁻¹), which keeps contenders from
// colliding in lock step (defaults DefaultBackoffBase and
// DefaultBackoffMax). Under heavy contention long waits win: the writer
// that just succeeded knows the new version and writes again at once,
// while losers that retry early only add failed writes to the server's
// log. Use WithPromotionLock to bound how long an unlucky writer waits.
func WithBackoff(base, max time.Duration) Option {
	return func(o *options) {
		if base < 0 || max < base {
			o.Fail("WithBackoff(%v, %v): want 0 <= base <= max", base, max)
		}
		o.backoffBase, o.backoffMax = base, max
	}
}

func (o options) createOpts() []zkrecipes.CreateOption {
	if o.acl == nil {
		return []zkrecipes.CreateOption{zkrecipes.WithParents()}
	}
	return []zkrecipes.CreateOption{zkrecipes.WithParents(), zkrecipes.WithNodeACL(o.acl)}
}
