package lock

// SetOnWait installs a hook called each time an acquisition through x (a
// *Mutex, *RWMutex or *Semaphore) starts waiting on a watch, with the
// watched path: tests count wake-ups with it.
func SetOnWait(x any, f func(watched string)) {
	switch v := x.(type) {
	case *Mutex:
		v.onWait = f
	case *RWMutex:
		v.onWait = f
	case *Semaphore:
		v.onWait = f
	default:
		panic("lock: SetOnWait: unsupported type")
	}
}

// LeaseMax exposes the lease-name parser.
var LeaseMax = leaseMax
