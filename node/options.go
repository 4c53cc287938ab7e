package node

import (
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
)

// Option configures a Node or a TTL. An invalid option value is reported
// by the constructor it is given to.
type Option func(*options)

type options struct {
	acl          []zk.ACL // nil: the client's default
	sequential   bool
	conflictWait time.Duration // 0: the session timeout plus DefaultConflictMargin
	touchFactor  int
	misuse.Errs
}

// DefaultConflictMargin is added to the client's session timeout to make
// the default conflict wait (see [WithConflictWait]): a node left by a
// previous session of ours, or of a process that just restarted with the
// same session timeout, is gone by then.
const DefaultConflictMargin = 2 * time.Second

func construct(fn string, c *zkrecipes.Client, path string, opts []Option) (options, error) {
	o := options{touchFactor: DefaultTouchFactor}
	err := misuse.Construct("node", fn, c, path, &o, &o.Errs, opts)
	return o, err
}

// WithACL sets the ACL of the node (the client's default ACL otherwise;
// missing parents get the client's). An empty, non-nil ACL is refused.
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.acl = acl
	}
}

// WithProtectedSequential makes the node ephemeral sequential: path is the
// prefix of its name ("/workers/w-" makes
// "/workers/_c_<uuid>-w-0000000007"), protected as every sequential create
// of zkrecipes is, so that a create whose reply was lost is found again
// and never made twice (Curator's PersistentNode with
// EPHEMERAL_SEQUENTIAL and useProtection). Each re-creation makes a new
// name; [Node.ActualPath] returns the current one. Only for [New].
func WithProtectedSequential() Option {
	return func(o *options) { o.sequential = true }
}

// WithConflictWait sets how long a Node waits for a node of another
// session (or a persistent node) at its path to go away before it reports
// the conflict through [Node.WaitCreated] (default: the client's session
// timeout plus DefaultConflictMargin). It keeps waiting after that, and
// never takes the other node over.
func WithConflictWait(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.Fail("WithConflictWait(%v): must be positive", d)
		}
		o.conflictWait = d
	}
}

// DefaultTouchFactor is Curator's PersistentTtlNode touch schedule
// factor: a TTL's keep-alive node is touched every ttl/DefaultTouchFactor.
const DefaultTouchFactor = 2

// WithTouchFactor sets how many times per TTL a [TTL] touches its
// keep-alive node (default DefaultTouchFactor; at least 2). Only for
// [NewTTL].
func WithTouchFactor(n int) Option {
	return func(o *options) {
		if n < 2 {
			o.Fail("WithTouchFactor(%d): must be at least 2", n)
		}
		o.touchFactor = n
	}
}

func (o options) createOpts() []zkrecipes.CreateOption {
	co := []zkrecipes.CreateOption{zkrecipes.WithParents()}
	if o.acl != nil {
		co = append(co, zkrecipes.WithNodeACL(o.acl))
	}
	return co
}
