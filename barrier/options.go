package barrier

import (
	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// Option configures a Barrier or a Double.
type Option func(*options)

type options struct {
	acl  []zk.ACL // nil: the client's default ACL
	data []byte   // data of a Double's member node
}

func defaultOptions() options { return options{} }

// WithACL sets the ACL of the nodes the barrier creates (the client's
// default ACL otherwise).
func WithACL(acl []zk.ACL) Option { return func(o *options) { o.acl = acl } }

// WithData sets the data of a Double's member node, for example a host
// name that operators see in the member list. A Barrier ignores it.
func WithData(data []byte) Option { return func(o *options) { o.data = data } }

func (o options) createOpts() []zkrecipes.CreateOption {
	if o.acl == nil {
		return []zkrecipes.CreateOption{zkrecipes.WithParents()}
	}
	return []zkrecipes.CreateOption{zkrecipes.WithParents(), zkrecipes.WithNodeACL(o.acl)}
}
