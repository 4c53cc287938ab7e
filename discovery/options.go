package discovery

import (
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/node"
)

// Option configures a Discovery. An invalid option value is reported by
// New.
type Option func(*options)

type options struct {
	acl          []zk.ACL
	conflictWait time.Duration
	misuse.Errs
}

// WithACL sets the ACL of instance nodes (the client's default ACL
// otherwise; the base and service nodes, made as containers when
// missing, get the client's). An empty, non-nil ACL is refused.
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.acl = acl
	}
}

// WithConflictWait sets how long Register waits for another session's
// node with the same service and id to go before it fails with
// ErrConflict (default: the client's session timeout plus
// node.DefaultConflictMargin, time enough for a node left by a crashed
// predecessor with the same session timeout to expire).
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

func (o options) createOpts() []zkrecipes.CreateOption {
	co := []zkrecipes.CreateOption{zkrecipes.WithParents()}
	if o.acl != nil {
		co = append(co, zkrecipes.WithNodeACL(o.acl))
	}
	return co
}
