package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/contend"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/internal/observe"
)

// Znode names, as Curator uses them (see the package documentation). A
// constant ending in Prefix starts a node's name (after the protected
// prefix, "_c_<uuid>-"), one ending in Dir names a directory; the same
// suffixes in every package.
const (
	// LockPrefix starts the name of a Mutex contender node under the lock
	// path, after the protected prefix: "_c_<uuid>-lock-0000000007".
	LockPrefix = "lock-"
	// ReadPrefix and WritePrefix start the names of the RWMutex's read
	// and write contender nodes.
	ReadPrefix  = contend.ReadMarker
	WritePrefix = contend.WriteMarker
	// LocksDir and LeasesDir are the Semaphore's two directories under its
	// path: the admission mutex and the lease nodes.
	LocksDir  = "locks"
	LeasesDir = "leases"
	// LeasePrefix starts the name of a lease node, after its
	// "max<maxLeases>-" part: "_c_<uuid>-max3-lease-0000000001".
	LeasePrefix = "lease-"
)

// Mutex is a distributed mutual-exclusion lock on one znode path, the
// counterpart of Curator's InterProcessMutex. A Mutex value is one handle:
// it holds the lock at most once (no reentrancy) and is safe for
// concurrent use, but a Lock while the handle holds the lock or is
// acquiring it fails with ErrAlreadyLocked. Use one handle per goroutine
// that contends; handles are cheap and do no I/O until Lock.
type Mutex struct {
	c      *zkrecipes.Client
	path   string
	o      options
	onWait func(string) // test hook: each start of a wait
	mu     sync.Mutex
	busy   bool  // acquiring or held
	h      *hold // the current hold
	// the last holds, so that an uncontended handle locks again with a
	// single create (see contend.Warm)
	warm contend.Warm
}

// NewMutex returns a handle on the lock at path (relative to the client's
// namespace). It does no I/O. An invalid path is an error wrapping
// zkrecipes.ErrInvalidPath, an invalid option one wrapping
// zkrecipes.ErrInvalidArgument; a nil c panics (see the package doc,
// "Bad input").
func NewMutex(c *zkrecipes.Client, path string, opts ...Option) (*Mutex, error) {
	o, err := construct("NewMutex", c, path, opts)
	if err != nil {
		return nil, err
	}
	return &Mutex{c: c, path: path, o: o}, nil
}

// Lock blocks until this handle holds the lock, ctx is done or the session
// is lost. It creates an ephemeral-sequential node and waits for the node
// just ahead of it to go (no herd: a release wakes one waiter). On failure
// it returns the cause (errors.Is(err, context.Canceled) after
// cancellation) and leaves no node behind: it deletes its node before
// returning while connected, otherwise a client-owned goroutine deletes it
// as soon as it can (the server removes it anyway with the session).
func (m *Mutex) Lock(ctx context.Context) error { return m.lock(ctx, false) }

// TryLock is Lock without waiting: it returns ErrLocked at once, leaving
// nothing behind, if another holder or contender is ahead.
func (m *Mutex) TryLock(ctx context.Context) error { return m.lock(ctx, true) }

func (m *Mutex) lock(ctx context.Context, try bool) error {
	m.mu.Lock()
	if m.busy {
		m.mu.Unlock()
		return ErrAlreadyLocked
	}
	m.busy = true
	m.mu.Unlock()
	ob := observe.StartAcquire(m.c, m.path, "mutex")
	e, err := contend.Enter(ctx, m.c, contend.Config{
		Dir: m.path, Name: LockPrefix, Data: m.o.data, ACL: m.o.acl,
		NoWait: try, OnWait: m.onWait, Lazy: true, // no Predicate: the first holds
		Warm: &m.warm,
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.busy = false
		err = acquireErr("lock", m.path, err, ErrLocked)
		ob.Done(err, ErrLocked)
		return err
	}
	m.h = newHold(e, m.o.suspendedIsLost, ob.Done(nil, nil))
	return nil
}

// Unlock releases the lock by deleting our node; ErrNotLocked if this
// handle does not hold it. A node already gone with its session counts as
// released. If the delete fails (ctx done, connection down) the handle is
// released all the same and a client-owned goroutine keeps deleting the
// node while the session lives; Unlock then returns the error. While the
// connection is suspended Unlock does not wait for it: that goroutine
// deletes the node once reconnected, and Unlock returns nil at once. Pass
// a ctx that outlives the caller's: defer m.Unlock(context.WithoutCancel(ctx)).
func (m *Mutex) Unlock(ctx context.Context) error {
	m.mu.Lock()
	h := m.h
	if h == nil {
		m.mu.Unlock()
		return ErrNotLocked
	}
	m.h, m.busy = nil, false
	m.mu.Unlock()
	return releaseErr("unlock", m.path, h.release(ctx))
}

// Lost returns a channel that is closed when the current hold ends: the
// session is lost, our node is deleted by someone else, the connection is
// suspended (under the default policy; see WithSuspendedIsLost), or Unlock
// is called. Without a hold it returns a closed channel. Stop using the
// protected resource when it closes; call Unlock all the same, since a
// suspended session may live on and still hold the node.
func (m *Mutex) Lost() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.h.lostCh()
}

// Token returns the fencing token of the current hold, 0 without one:
// ordered like zxids, strictly greater than the token of every earlier
// holder of the path and smaller than that of every later one, also after
// the lock's container node was reaped and recreated. Pass it with every
// write to the protected resource and let the resource refuse tokens lower
// than the highest it has seen: that stops a holder that was paused past
// its session's expiry. Token may wait for one reply already in flight; it
// returns 0 if the session ended before that reply. How it is derived: see
// Performance in the package documentation.
func (m *Mutex) Token() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.h.token()
}

// Node returns the path of our lock node (relative to the namespace)
// while held, else "".
func (m *Mutex) Node() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.h.node()
}

// Path returns the lock's path, relative to the client's namespace (as
// given to NewMutex).
func (m *Mutex) Path() string { return m.path }

// serverPath is the lock's path on the server, MultiLock's ordering key.
func (m *Mutex) serverPath() string { return absPath(m.c, m.path) }

// hold is one held contender node. Its loss watcher starts on the first
// call of Lost, so a hold nobody watches costs no goroutine; it still
// counts every suspension since the acquisition (contend.Entry.Lost).
type hold struct {
	e               *contend.Entry
	suspendedIsLost bool
	lost            <-chan struct{}
	stop            func()
	obs             *observe.Hold // nil without an Observer
}

func newHold(e *contend.Entry, suspendedIsLost bool, obs *observe.Hold) *hold {
	return &hold{e: e, suspendedIsLost: suspendedIsLost, obs: obs}
}

// release stops the loss watcher and deletes the node (see Entry.Release).
// The caller has detached h from its handle, so nothing else touches h.
func (h *hold) release(ctx context.Context) error {
	h.ended()
	h.stopWatch()
	return h.e.Release(ctx)
}

// ended reports the end of the hold to the Observer, and its loss if the
// loss watcher did not (nobody called Lost): the session ended, or was
// suspended under the default policy.
func (h *hold) ended() {
	if h.obs == nil {
		return
	}
	lost := h.e.Session.Err() != nil || (h.suspendedIsLost && h.e.SuspendedSince())
	h.obs.Released(lost)
}

// stopWatch ends the loss watcher, closing the Lost channel, if any.
func (h *hold) stopWatch() {
	if h.stop != nil {
		h.stop()
	}
}

var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// lostCh returns the hold's Lost channel, starting its watcher; the
// handle's mutex is held.
func (h *hold) lostCh() <-chan struct{} {
	if h == nil {
		return closedCh
	}
	if h.lost == nil {
		var onLost func()
		if h.obs != nil {
			onLost = h.obs.Lost
		}
		h.lost, h.stop = h.e.Lost(h.suspendedIsLost, onLost)
	}
	return h.lost
}

func (h *hold) token() int64 {
	if h == nil {
		return 0
	}
	return h.e.Token()
}

func (h *hold) node() string {
	if h == nil {
		return ""
	}
	return h.e.Path
}

// construct checks what every constructor of this package takes: a nil
// client panics (a programmer error), an invalid path or option is an error.
func construct(fn string, c *zkrecipes.Client, path string, opts []Option) (options, error) {
	o := defaultOptions()
	err := misuse.Construct("lock", fn, c, path, &o, &o.Errs, opts)
	return o, err
}

func absPath(c *zkrecipes.Client, p string) string {
	ns := c.Namespace()
	switch {
	case ns == "":
		return p
	case p == "/":
		return ns
	}
	return ns + p
}

// acquireErr turns contend's errors into this package's: busy (the
// NoWait outcome) for contend.ErrWouldBlock, ErrNodeDeleted for a node
// deleted by others; anything else is wrapped with the operation and path.
func acquireErr(op, path string, err, busy error) error {
	switch {
	case errors.Is(err, contend.ErrWouldBlock):
		return fmt.Errorf("%w: %s", busy, path)
	case errors.Is(err, contend.ErrNodeGone):
		return fmt.Errorf("lock: %s %s: %w", op, path, ErrNodeDeleted)
	}
	return fmt.Errorf("lock: %s %s: %w", op, path, err)
}

func releaseErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("lock: %s %s (the node is deleted in the background): %w", op, path, err)
}
