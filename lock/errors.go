package lock

import "errors"

var (
	// ErrLocked is returned by TryLock (and TryRLock) when another holder
	// has the lock, or another contender is ahead in line.
	ErrLocked = errors.New("lock: locked by another holder")
	// ErrNotLocked is returned by Unlock, RUnlock and Lease.Release when
	// the handle does not hold what it is asked to release.
	ErrNotLocked = errors.New("lock: not locked")
	// ErrAlreadyLocked is returned by Lock on a handle that already holds
	// the lock or is acquiring it. Locks are not reentrant: Go has no
	// thread identity to tie a re-acquisition to its holder.
	ErrAlreadyLocked = errors.New("lock: already locked by this handle")
	// ErrUpgrade is returned by RWMutex.Lock while the same handle holds
	// the read lock: the write lock would wait for that read lock forever.
	ErrUpgrade = errors.New("lock: cannot upgrade a held read lock to the write lock")
	// ErrNoLease is returned by Semaphore.TryAcquire when no lease is free
	// without waiting.
	ErrNoLease = errors.New("lock: no lease available")
	// ErrMaxLeasesMismatch is returned by Semaphore acquisition when
	// another participant on the same path declares a different maxLeases.
	// Admitting under differing limits would over-admit, so the newcomer is
	// refused instead (its lease node is deleted).
	ErrMaxLeasesMismatch = errors.New("lock: participants disagree on maxLeases")
	// ErrNodeDeleted is returned by an acquisition whose contender node
	// was deleted by someone else (an operator, a reaper) while it waited.
	ErrNodeDeleted = errors.New("lock: contender node deleted by someone else")
)
