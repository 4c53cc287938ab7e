package lock

// Option configures a Mutex, RWMutex or Semaphore.
type Option func(*options)

type options struct {
	data            []byte
	suspendedIsLost bool
}

func defaultOptions() options {
	return options{suspendedIsLost: true}
}

func buildOptions(opts []Option) options {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithData stores data in every contender node this handle creates (for
// operators: who holds the lock). Curator's equivalent is the lockData
// argument or setNodeData. The default is no data.
func WithData(data []byte) Option {
	return func(o *options) { o.data = append([]byte(nil), data...) }
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
