package discovery

import (
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/memberopt"
)

// Option configures a Discovery. An invalid option value is reported by
// New.
type Option func(*options)

type options = memberopt.Options // shared with package group

// WithACL sets the ACL of instance nodes (the client's default ACL
// otherwise; the base and service nodes, made as containers when
// missing, get the client's). An empty, non-nil ACL is refused.
func WithACL(acl []zk.ACL) Option { return memberopt.ACL(acl) }

// WithConflictWait sets how long Register waits for another session's
// node with the same service and id to go before it fails with
// ErrConflict (default: the client's session timeout plus
// node.DefaultConflictMargin, time enough for a node left by a crashed
// predecessor with the same session timeout to expire).
func WithConflictWait(d time.Duration) Option { return memberopt.ConflictWait(d) }
