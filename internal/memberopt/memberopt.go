// Package memberopt is the one home of the option set shared by the
// recipes whose members are [node.Node]s (package group and package
// discovery): the ACL of the member nodes and the conflict wait. Each of
// those packages declares its Option over [Options] (through a type
// alias, so its docs show its own names) and documents each option in
// its own words.
package memberopt

import (
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/node"
)

// Options is the option set.
type Options struct {
	ACL          []zk.ACL      // nil: the client's default
	ConflictWait time.Duration // 0: node's default
	misuse.Errs
}

// ACL sets the ACL of member nodes; an empty, non-nil ACL is refused.
func ACL(acl []zk.ACL) func(*Options) {
	return func(o *Options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.ACL = acl
	}
}

// ConflictWait sets the conflict wait; it must be positive.
func ConflictWait(d time.Duration) func(*Options) {
	return func(o *Options) {
		if d <= 0 {
			o.Fail("WithConflictWait(%v): must be positive", d)
		}
		o.ConflictWait = d
	}
}

// Node returns the options of a member's [node.Node].
func (o Options) Node() []node.Option {
	var no []node.Option
	if o.ACL != nil {
		no = append(no, node.WithACL(o.ACL))
	}
	if o.ConflictWait > 0 {
		no = append(no, node.WithConflictWait(o.ConflictWait))
	}
	return no
}

// Create returns the options of a member created directly (a persistent
// one): missing parents as containers, and the ACL.
func (o Options) Create() []zkrecipes.CreateOption {
	co := []zkrecipes.CreateOption{zkrecipes.WithParents()}
	if o.ACL != nil {
		co = append(co, zkrecipes.WithNodeACL(o.ACL))
	}
	return co
}
