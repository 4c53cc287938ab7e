package lock

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/contend"
	"github.com/zkrecipes/zkrecipes/internal/observe"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Semaphore is a distributed counting semaphore: at most maxLeases leases
// are held at a time across all participants. It is the counterpart of
// Curator's InterProcessSemaphoreV2 and uses its layout, so Go and Java
// participants share one semaphore: an admission mutex under
// <path>/locks serialises acquirers; the one holding it creates a lease
// node under <path>/leases and waits until there are at most maxLeases
// lease nodes, then lets the next acquirer in. Waiting is FIFO and wakes
// one acquirer per change.
//
// Every lease node of ours carries maxLeases in its name
// ("max3-lease-..."), so an acquirer that finds a participant with a
// different limit fails with ErrMaxLeasesMismatch instead of over-admitting.
// Curator's lease nodes carry no limit: disagreement with Java participants
// goes unnoticed, as between two Curator participants.
type Semaphore struct {
	c         *zkrecipes.Client
	path      string
	max       int
	o         options
	leaseName string // "max<N>-lease-"
	onWait    func(string)
}

// NewSemaphore returns a handle on the semaphore at path with maxLeases
// leases. It does no I/O. An invalid path or option is an error (as for
// NewMutex); a nil c or maxLeases < 1 panics (programmer errors).
func NewSemaphore(c *zkrecipes.Client, path string, maxLeases int, opts ...Option) (*Semaphore, error) {
	if maxLeases < 1 {
		panic(fmt.Sprintf("lock: NewSemaphore: maxLeases must be at least 1, got %d", maxLeases))
	}
	o, err := construct("NewSemaphore", c, path, opts)
	if err != nil {
		return nil, err
	}
	return &Semaphore{c: c, path: path, max: maxLeases, o: o,
		leaseName: "max" + strconv.Itoa(maxLeases) + "-" + LeasePrefix}, nil
}

// MaxLeases returns the limit this handle was made with.
func (s *Semaphore) MaxLeases() int { return s.max }

// Path returns the semaphore's path, relative to the client's namespace.
func (s *Semaphore) Path() string { return s.path }

// Acquire blocks until it holds a lease, ctx is done or the session is
// lost. On failure it returns the cause and leaves no node behind.
func (s *Semaphore) Acquire(ctx context.Context) (*Lease, error) {
	ls, err := s.acquire(ctx, 1, false)
	if err != nil {
		return nil, err
	}
	return ls[0], nil
}

// TryAcquire takes a lease only if one is free and no other acquirer is
// ahead; else ErrNoLease at once, leaving nothing behind.
func (s *Semaphore) TryAcquire(ctx context.Context) (*Lease, error) {
	ls, err := s.acquire(ctx, 1, true)
	if err != nil {
		return nil, err
	}
	return ls[0], nil
}

// AcquireN takes n leases, all or nothing: it holds the admission mutex
// until it has all n, so two AcquireN calls cannot each take part and wait
// for each other. On failure it releases the leases it took. n must be
// between 1 and maxLeases.
func (s *Semaphore) AcquireN(ctx context.Context, n int) ([]*Lease, error) {
	return s.acquire(ctx, n, false)
}

func (s *Semaphore) acquire(ctx context.Context, n int, try bool) ([]*Lease, error) {
	if n < 1 || n > s.max {
		return nil, fmt.Errorf("lock: acquire %d leases of %s: %w: need 1..%d", n, s.path, zkrecipes.ErrInvalidArgument, s.max)
	}
	ob := observe.StartAcquire(s.c, s.path, "semaphore")
	leases, err := s.acquireLeases(ctx, n, try)
	if err != nil {
		ob.Done(err, ErrNoLease)
		return nil, err
	}
	for _, l := range leases { // one acquisition per lease
		l.h.obs = ob.Done(nil, nil)
	}
	return leases, nil
}

func (s *Semaphore) acquireLeases(ctx context.Context, n int, try bool) ([]*Lease, error) {
	adm, err := contend.Enter(ctx, s.c, contend.Config{
		Dir: zkpath.Join(s.path, LocksDir), Name: LockPrefix, ACL: s.o.acl,
		NoWait: try, OnWait: s.onWait, Lazy: true, // no Predicate: the first holds
	})
	if err != nil {
		return nil, acquireErr("acquire", s.path, err, ErrNoLease)
	}
	defer func() { _ = adm.Release(context.WithoutCancel(ctx)) }()
	entries := make([]*contend.Entry, 0, n)
	for len(entries) < n {
		e, err := contend.Enter(ctx, s.c, contend.Config{
			Dir: zkpath.Join(s.path, LeasesDir), Name: s.leaseName, Markers: []string{LeasePrefix},
			Data: s.o.data, ACL: s.o.acl, Predicate: contend.AtMost(s.max), Check: s.check,
			NoWait: try, Session: adm.Session, OnWait: s.onWait, Lazy: true,
		})
		if err != nil {
			for _, e := range entries {
				_ = e.Release(context.WithoutCancel(ctx))
			}
			return nil, acquireErr("acquire", s.path, err, ErrNoLease)
		}
		entries = append(entries, e)
	}
	leases := make([]*Lease, n)
	for i, e := range entries {
		leases[i] = &Lease{path: s.path, h: newHold(e, s.o.suspendedIsLost, nil)}
	}
	return leases, nil
}

// check refuses a lease directory in which some participant of ours
// declares another maxLeases.
func (s *Semaphore) check(nodes []zkpath.Node, _ int) error {
	for _, n := range nodes {
		if m, ok := leaseMax(n.Name); ok && m != s.max {
			return fmt.Errorf("%w: %s has maxLeases %d, this handle %d", ErrMaxLeasesMismatch, n.Name, m, s.max)
		}
	}
	return nil
}

var protectedLen = len(zkpath.Protected(0, 0))

// leaseMax parses the limit out of a lease node name of ours:
// [_c_<uuid>-]max<N>-lease-<seq>.
func leaseMax(name string) (int, bool) {
	if _, _, ok := zkpath.ParseProtected(name); ok {
		name = name[protectedLen:]
	}
	if len(name) < zkpath.SeqLen+len(LeasePrefix) {
		return 0, false
	}
	head, ok := strings.CutSuffix(name[:len(name)-zkpath.SeqLen], LeasePrefix)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutPrefix(head, "max")
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, "-")
	if !ok {
		return 0, false
	}
	m, err := strconv.Atoi(digits)
	return m, err == nil
}

// Lease is one held lease of a Semaphore.
type Lease struct {
	path string
	mu   sync.Mutex
	h    *hold
}

// Release returns the lease by deleting its node; ErrNotLocked if it was
// already released. Failure handling is as for Mutex.Unlock.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	h := l.h
	l.h = nil
	l.mu.Unlock()
	if h == nil {
		return ErrNotLocked
	}
	return releaseErr("release", l.path, h.release(ctx))
}

// Lost is as Mutex.Lost, for this lease.
func (l *Lease) Lost() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.lostCh()
}

// Token is as Mutex.Token, for the lease node: ordered like zxids.
func (l *Lease) Token() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.token()
}

// Node returns the lease node's path (relative to the namespace), or ""
// once released.
func (l *Lease) Node() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.node()
}
