package lock

import (
	"fmt"

	"github.com/zkrecipes/zkrecipes"
)

// Option configures a Mutex, RWMutex or Semaphore. An invalid option value
// is reported by the constructor it is given to.
type Option func(*options)

type options struct {
	data            []byte
	suspendedIsLost bool
	err             error // first invalid option
}

func defaultOptions() options {
	return options{suspendedIsLost: true}
}

// buildOptions applies opts; fn names the constructor in the error.
func buildOptions(fn string, opts []Option) (options, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return o, fmt.Errorf("lock: %s: %w", fn, o.err)
	}
	return o, nil
}

// WithData stores data in every contender node this handle creates (for
// operators: who holds the lock). Curator's equivalent is the lockData
// argument or setNodeData. The default is no data. Data larger than
// zkrecipes.MaxDataSize is refused (ErrInvalidArgument).
func WithData(data []byte) Option {
	return func(o *options) {
		if len(data) > zkrecipes.MaxDataSize && o.err == nil {
			o.err = fmt.Errorf("WithData: %d bytes exceeds %d: %w", len(data), zkrecipes.MaxDataSize, zkrecipes.ErrInvalidArgument)
		}
		o.data = append([]byte(nil), data...)
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
