package lock

import (
	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
)

// Option configures a Mutex, RWMutex or Semaphore. An invalid option value
// is reported by the constructor it is given to.
type Option func(*options)

type options struct {
	data            []byte
	acl             []zk.ACL // nil: the client's
	suspendedIsLost bool
	misuse.Errs     // the first invalid option
}

func defaultOptions() options {
	return options{suspendedIsLost: true}
}

// buildOptions applies opts; fn names the constructor in the error.
func buildOptions(fn string, opts []Option) (options, error) {
	o := defaultOptions()
	err := misuse.Apply("lock", fn, &o, &o.Errs, opts)
	return o, err
}

// WithData stores data in every contender node this handle creates (for
// operators: who holds the lock). Curator's equivalent is the lockData
// argument or setNodeData. The default is no data. Data larger than
// zkrecipes.MaxDataSize is refused (ErrInvalidArgument).
func WithData(data []byte) Option {
	return func(o *options) {
		if len(data) > zkrecipes.MaxDataSize {
			o.Fail("WithData: %d bytes exceeds %d", len(data), zkrecipes.MaxDataSize)
		}
		o.data = append([]byte(nil), data...)
	}
}

// WithACL sets the ACL of the contender and lease nodes the handle
// creates (the client's default ACL otherwise). The lock path and a
// semaphore's directories, made as containers when missing, get the
// client's ACL like any missing parent. An empty, non-nil ACL is refused
// (ErrInvalidArgument).
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.acl = acl
	}
}

// WithSuspendedIsLost chooses when a hold counts as lost. true (the
// default, Curator's standard policy and the safe one): as soon as the
// connection is suspended, since the session may be expiring on the server
// while the client cannot hear of it. false: only when the session is
// lost; a short disconnect that the session survives does not end the
// hold.
func WithSuspendedIsLost(lost bool) Option {
	return func(o *options) { o.suspendedIsLost = lost }
}
