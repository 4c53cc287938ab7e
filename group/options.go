package group

import (
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/node"
)

// Option configures a Group. An invalid option value is reported by New.
type Option func(*options)

type options struct {
	acl          []zk.ACL
	conflictWait time.Duration
	misuse.Errs
}

// WithACL sets the ACL of member nodes (the client's default otherwise).
// An empty, non-nil ACL is refused.
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.acl = acl
	}
}

// WithConflictWait sets how long Join waits for another session's member
// with the same id to go before it fails (see node.WithConflictWait).
func WithConflictWait(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.Fail("WithConflictWait(%v): must be positive", d)
		}
		o.conflictWait = d
	}
}

func (o options) nodeOpts() []node.Option {
	var no []node.Option
	if o.acl != nil {
		no = append(no, node.WithACL(o.acl))
	}
	if o.conflictWait > 0 {
		no = append(no, node.WithConflictWait(o.conflictWait))
	}
	return no
}
