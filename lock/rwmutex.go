package lock

import (
	"context"
	"errors"
	"sync"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/contend"
	"github.com/zkrecipes/zkrecipes/internal/observe"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// RWMutex is a distributed read-write lock, the counterpart of Curator's
// InterProcessReadWriteLock: many readers or one writer. It is fair: all
// contenders queue in one sequence, and a reader waits behind every writer
// that arrived before it, so a stream of readers cannot starve a writer.
//
// An RWMutex value is one handle holding at most one read and one write
// lock. The holder of the write lock may also take the read lock and then
// release the write lock (downgrade): RLock then succeeds at once. The
// reverse (Lock while holding the read lock) would wait for itself and
// fails with ErrUpgrade. A Lock or RLock while the same kind is held or
// being acquired on this handle fails with ErrAlreadyLocked.
type RWMutex struct {
	c      *zkrecipes.Client
	path   string
	o      options
	onWait func(string)

	mu          sync.Mutex
	wBusy       bool  // write: acquiring or held
	rBusy       bool  // read: acquiring or held
	w, r        *hold // current holds
	downgrading bool  // an RLock taken under our write lock is in flight
	behind      bool  // the read hold sorts behind a foreign writer
	kept        *hold // our write node kept after Unlock; see Unlock
}

// NewRWMutex returns a handle on the read-write lock at path. It does no
// I/O. An invalid path or option is an error (as for NewMutex); a nil c
// panics.
func NewRWMutex(c *zkrecipes.Client, path string, opts ...Option) (*RWMutex, error) {
	o, err := construct("NewRWMutex", c, path, opts)
	if err != nil {
		return nil, err
	}
	return &RWMutex{c: c, path: path, o: o}, nil
}

var rwMarkers = []string{ReadPrefix, WritePrefix}

// Lock takes the write lock: it blocks until every contender that arrived
// before it, reader or writer, has gone, ctx is done or the session is
// lost. Failure leaves no node behind, as for Mutex.Lock.
func (rw *RWMutex) Lock(ctx context.Context) error { return rw.lock(ctx, false) }

// TryLock takes the write lock only if nobody is ahead; else ErrLocked.
func (rw *RWMutex) TryLock(ctx context.Context) error { return rw.lock(ctx, true) }

func (rw *RWMutex) lock(ctx context.Context, try bool) error {
	rw.mu.Lock()
	switch {
	case rw.wBusy:
		rw.mu.Unlock()
		return ErrAlreadyLocked
	case rw.rBusy:
		rw.mu.Unlock()
		return ErrUpgrade
	}
	rw.wBusy = true
	rw.mu.Unlock()
	ob := observe.StartAcquire(rw.c, rw.path, "write")
	e, err := contend.Enter(ctx, rw.c, contend.Config{
		Dir: rw.path, Name: WritePrefix, Markers: rwMarkers, Data: rw.o.data, ACL: rw.o.acl,
		NoWait: try, OnWait: rw.onWait, Lazy: true, // no Predicate: a writer holds when first
	})
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if err != nil {
		rw.wBusy = false
		err = acquireErr("lock", rw.path, err, ErrLocked)
		ob.Done(err, ErrLocked)
		return err
	}
	rw.w = newHold(e, rw.o.suspendedIsLost, ob.Done(nil, nil))
	return nil
}

// RLock takes the read lock: it blocks until no writer that arrived before
// it remains, ctx is done or the session is lost. While this handle holds
// the write lock, RLock succeeds at once (downgrade).
func (rw *RWMutex) RLock(ctx context.Context) error { return rw.rlock(ctx, false) }

// TryRLock takes the read lock only if no writer is ahead; else ErrLocked.
func (rw *RWMutex) TryRLock(ctx context.Context) error { return rw.rlock(ctx, true) }

func (rw *RWMutex) rlock(ctx context.Context, try bool) error {
	rw.mu.Lock()
	if rw.rBusy || (rw.wBusy && rw.w == nil) {
		rw.mu.Unlock()
		return ErrAlreadyLocked
	}
	rw.rBusy = true
	w := rw.w
	rw.downgrading = w != nil
	rw.mu.Unlock()

	cfg := contend.Config{
		Dir: rw.path, Name: ReadPrefix, Markers: rwMarkers, Data: rw.o.data, ACL: rw.o.acl,
		Predicate: contend.Reader(nil), NoWait: try, OnWait: rw.onWait, Lazy: true,
	}
	behind := false
	if w != nil {
		// We hold the write lock, so no one else holds anything: admit
		// at once. A foreign writer may have queued between our write
		// node and this read node; it would take the lock as soon as our
		// write node goes, so Unlock then keeps the write node until
		// RUnlock. Readers that skip our own writer see the rest.
		reader := contend.Reader(func(n zkpath.Node) bool { return n.Name == w.e.Name })
		cfg.Session = w.e.Session
		cfg.Predicate = func(nodes []zkpath.Node, self int) (bool, int) {
			ok, _ := reader(nodes, self)
			behind = !ok
			return true, -1
		}
	}
	ob := observe.StartAcquire(rw.c, rw.path, "read")
	e, err := contend.Enter(ctx, rw.c, cfg)

	rw.mu.Lock()
	rw.downgrading = false
	var drop *hold // a kept write node no longer needed
	if err != nil {
		rw.rBusy = false
		drop, rw.kept = rw.kept, nil
	} else {
		rw.r = newHold(e, rw.o.suspendedIsLost, ob.Done(nil, nil))
		rw.behind = behind
		if !behind {
			drop, rw.kept = rw.kept, nil
		}
	}
	rw.mu.Unlock()
	if drop != nil {
		_ = drop.e.Release(context.WithoutCancel(ctx))
	}
	if err != nil {
		err = acquireErr("rlock", rw.path, err, ErrLocked)
		ob.Done(err, ErrLocked)
		return err
	}
	return nil
}

// Unlock releases the write lock; ErrNotLocked if not held. If this handle
// took the read lock while writing and a writer queued in between, the
// write node stays until RUnlock, so that writer cannot take the lock while
// our read lock is held; the write lock counts as released all the same.
// Otherwise as Mutex.Unlock.
func (rw *RWMutex) Unlock(ctx context.Context) error {
	rw.mu.Lock()
	h := rw.w
	if h == nil {
		rw.mu.Unlock()
		return ErrNotLocked
	}
	rw.w, rw.wBusy = nil, false
	if rw.downgrading || (rw.r != nil && rw.behind) {
		h.ended()
		h.stopWatch()
		rw.kept = h
		rw.mu.Unlock()
		return nil
	}
	rw.mu.Unlock()
	return releaseErr("unlock", rw.path, h.release(ctx))
}

// RUnlock releases the read lock; ErrNotLocked if not held.
func (rw *RWMutex) RUnlock(ctx context.Context) error {
	rw.mu.Lock()
	h, kept := rw.r, rw.kept
	if h == nil {
		rw.mu.Unlock()
		return ErrNotLocked
	}
	rw.r, rw.rBusy, rw.kept, rw.behind = nil, false, nil, false
	rw.mu.Unlock()
	err := h.release(ctx)
	if kept != nil {
		// Only after the read node: the writer queued between the two
		// takes the lock as soon as the write node goes.
		err = errors.Join(err, kept.e.Release(ctx))
	}
	return releaseErr("runlock", rw.path, err)
}

// Path returns the lock's path, relative to the client's namespace.
func (rw *RWMutex) Path() string { return rw.path }

// Writer returns the write side as a Locker (Lock, TryLock, Unlock, and
// the Lost and Token of the write hold), e.g. for a MultiLock.
func (rw *RWMutex) Writer() Locker { return rwSide{rw, false} }

// Reader returns the read side as a Locker (RLock, TryRLock, RUnlock, and
// the Lost and Token of the read hold).
func (rw *RWMutex) Reader() Locker { return rwSide{rw, true} }

type rwSide struct {
	rw   *RWMutex
	read bool
}

func (s rwSide) Lock(ctx context.Context) error {
	if s.read {
		return s.rw.RLock(ctx)
	}
	return s.rw.Lock(ctx)
}

func (s rwSide) TryLock(ctx context.Context) error {
	if s.read {
		return s.rw.TryRLock(ctx)
	}
	return s.rw.TryLock(ctx)
}

func (s rwSide) Unlock(ctx context.Context) error {
	if s.read {
		return s.rw.RUnlock(ctx)
	}
	return s.rw.Unlock(ctx)
}

func (s rwSide) hold() *hold {
	if s.read {
		return s.rw.r
	}
	return s.rw.w
}

// Lost is as Mutex.Lost, for this side's hold.
func (s rwSide) Lost() <-chan struct{} {
	s.rw.mu.Lock()
	defer s.rw.mu.Unlock()
	return s.hold().lostCh()
}

// Token is as Mutex.Token, for this side's hold.
func (s rwSide) Token() int64 {
	s.rw.mu.Lock()
	defer s.rw.mu.Unlock()
	return s.hold().token()
}

func (s rwSide) Path() string       { return s.rw.path }
func (s rwSide) serverPath() string { return absPath(s.rw.c, s.rw.path) }
