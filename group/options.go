package group

import (
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/memberopt"
)

// Option configures a Group. An invalid option value is reported by New.
type Option func(*options)

type options = memberopt.Options // shared with package discovery

// WithACL sets the ACL of member nodes (the client's default otherwise).
// An empty, non-nil ACL is refused.
func WithACL(acl []zk.ACL) Option { return memberopt.ACL(acl) }

// WithConflictWait sets how long Join waits for another session's member
// with the same id to go before it fails (see node.WithConflictWait).
func WithConflictWait(d time.Duration) Option { return memberopt.ConflictWait(d) }
