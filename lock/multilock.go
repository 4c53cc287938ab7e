package lock

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"

	"github.com/zkrecipes/zkrecipes"
)

// Locker is what a MultiLock combines: a Mutex, either side of an RWMutex
// (RWMutex.Writer, RWMutex.Reader), or a type of your own.
type Locker interface {
	Lock(ctx context.Context) error
	TryLock(ctx context.Context) error
	Unlock(ctx context.Context) error
	// Lost is closed when the current hold ends (see Mutex.Lost).
	Lost() <-chan struct{}
	// Token is the fencing token of the current hold (see Mutex.Token).
	Token() int64
	// Path is the lock's path, relative to its client's namespace.
	Path() string
}

// serverPather is implemented by this package's lockers: the lock's path
// on the server, namespace included. MultiLock orders by it, so that two
// MultiLocks whose clients have different namespaces agree on the order.
type serverPather interface{ serverPath() string }

// orderKey is l's path on the server when known, else its Path.
func orderKey(l Locker) string {
	if s, ok := l.(serverPather); ok {
		return s.serverPath()
	}
	return l.Path()
}

var (
	_ Locker = (*Mutex)(nil)
	_ Locker = rwSide{}
)

// MultiLock holds several locks as one, the counterpart of Curator's
// InterProcessMultiLock. It acquires them in the order of their paths on
// the server (namespace included; Path for a Locker of your own), whatever
// the order given, so two MultiLocks over the same locks cannot
// deadlock each other, and releases them in reverse order. Acquisition is
// all or nothing: on failure the locks already taken are released.
type MultiLock struct {
	locks []Locker // sorted by orderKey

	mu   sync.Mutex
	busy bool
	held bool
	lost chan struct{} // closed when any member's hold ends
	done chan struct{} // closed by Unlock: ends the watcher
}

// NewMultiLock combines locks. It does no I/O and panics if there are no
// locks or a lock is nil (programmer errors).
// Locks on the same path (e.g. both sides of one RWMutex) keep their given
// order; giving the same path twice is otherwise the caller's business
// (two Mutex handles on one path would wait for each other).
func NewMultiLock(locks ...Locker) *MultiLock {
	if len(locks) == 0 {
		panic("lock: NewMultiLock: no locks")
	}
	ls := append([]Locker(nil), locks...)
	for i, l := range ls {
		if l == nil || (reflect.ValueOf(l).Kind() == reflect.Pointer && reflect.ValueOf(l).IsNil()) {
			panic(fmt.Sprintf("lock: NewMultiLock: lock %d is nil", i))
		}
	}
	sort.SliceStable(ls, func(i, j int) bool { return orderKey(ls[i]) < orderKey(ls[j]) })
	return &MultiLock{locks: ls}
}

// Lock acquires every lock in path order, blocking as each Lock does. On
// failure it releases those taken, in reverse (on a context detached from
// ctx), and returns the cause. ErrAlreadyLocked if held or being acquired.
func (m *MultiLock) Lock(ctx context.Context) error {
	return m.lock(ctx, Locker.Lock)
}

// TryLock is Lock with each member's TryLock: ErrLocked at once (releasing
// what it took) if any member is held by someone else.
func (m *MultiLock) TryLock(ctx context.Context) error {
	return m.lock(ctx, Locker.TryLock)
}

func (m *MultiLock) lock(ctx context.Context, acquire func(Locker, context.Context) error) error {
	if len(m.locks) == 0 {
		return fmt.Errorf("lock: MultiLock: %w: no locks", zkrecipes.ErrInvalidArgument)
	}
	m.mu.Lock()
	if m.busy {
		m.mu.Unlock()
		return ErrAlreadyLocked
	}
	m.busy = true
	m.mu.Unlock()
	for i, l := range m.locks {
		if err := acquire(l, ctx); err != nil {
			rerr := unlockAll(context.WithoutCancel(ctx), m.locks[:i])
			m.mu.Lock()
			m.busy = false
			m.mu.Unlock()
			return errors.Join(fmt.Errorf("lock: MultiLock: %s: %w", l.Path(), err), rerr)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held = true
	m.lost, m.done = make(chan struct{}), make(chan struct{})
	m.watch()
	return nil
}

// watch closes m.lost once any member's Lost closes or Unlock is called.
func (m *MultiLock) watch() {
	cases := make([]reflect.SelectCase, 0, len(m.locks)+1)
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(m.done)})
	for _, l := range m.locks {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(l.Lost())})
	}
	lost := m.lost
	go func() {
		reflect.Select(cases)
		close(lost)
	}()
}

// Unlock releases every lock in reverse path order, attempting all of
// them even when some fail; ErrNotLocked if not held.
func (m *MultiLock) Unlock(ctx context.Context) error {
	m.mu.Lock()
	if !m.held {
		m.mu.Unlock()
		return ErrNotLocked
	}
	m.held, m.busy = false, false
	close(m.done)
	m.mu.Unlock()
	return unlockAll(ctx, m.locks)
}

func unlockAll(ctx context.Context, locks []Locker) error {
	var errs []error
	for i := len(locks) - 1; i >= 0; i-- {
		if err := locks[i].Unlock(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Lost returns a channel closed when any member's hold ends (or Unlock is
// called); a closed channel when not held.
func (m *MultiLock) Lost() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.held {
		return closedCh
	}
	return m.lost
}

// Locks returns the members in acquisition order.
func (m *MultiLock) Locks() []Locker { return append([]Locker(nil), m.locks...) }
