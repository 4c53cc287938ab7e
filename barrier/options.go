package barrier

import (
	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
)

// Option configures a Barrier or a Double. An invalid option value is
// reported by the constructor it is given to.
type Option func(*options)

type options struct {
	acl         []zk.ACL // nil: the client's default ACL
	data        []byte   // data of a Double's member node
	misuse.Errs          // the first invalid option
}

func defaultOptions() options { return options{} }

// construct checks what every constructor of this package takes (see
// internal/misuse).
func construct(fn string, c *zkrecipes.Client, path string, opts []Option) (options, error) {
	o := defaultOptions()
	err := misuse.Construct("barrier", fn, c, path, &o, &o.Errs, opts)
	return o, err
}

// WithACL sets the ACL of the nodes the barrier creates: a Barrier's node
// and a Double's member nodes (the client's default ACL otherwise). A
// Double's path, made as a container when missing, gets the client's ACL
// like any missing parent. An empty, non-nil ACL is refused.
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.acl = acl
	}
}

// WithData sets the data of a Double's member node, for example a host
// name that operators see in the member list. A Barrier ignores it. Data
// larger than zkrecipes.MaxDataSize is refused.
func WithData(data []byte) Option {
	return func(o *options) {
		if len(data) > zkrecipes.MaxDataSize {
			o.Fail("WithData: %d bytes exceeds %d", len(data), zkrecipes.MaxDataSize)
		}
		o.data = data
	}
}

func (o options) createOpts() []zkrecipes.CreateOption {
	if o.acl == nil {
		return []zkrecipes.CreateOption{zkrecipes.WithParents()}
	}
	return []zkrecipes.CreateOption{zkrecipes.WithParents(), zkrecipes.WithNodeACL(o.acl)}
}
