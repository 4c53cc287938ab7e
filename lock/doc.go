// Package lock provides distributed locks on ZooKeeper: [Mutex],
// [RWMutex], [Semaphore] with [Lease]s, and [MultiLock], interoperable
// with their Apache Curator counterparts on the same paths.
//
//	m, err := lock.NewMutex(c, "/jobs/nightly")
//	if err != nil {
//		return err
//	}
//	if err := m.Lock(ctx); err != nil {
//		return err
//	}
//	defer m.Unlock(context.WithoutCancel(ctx))
//	select {
//	case <-m.Lost():
//		// stop: someone else may hold the lock now
//	case <-work(ctx, m.Token()):
//	}
//
// Contenders queue in arrival order, as ephemeral-sequential nodes under
// the lock's path; a release wakes only the next in line (no herd effect).
// One shared loop (internal/contend) serves every type here and leader
// election; what it does to save round trips is under Performance below.
//
// # Guarantees
//
//   - Mutual exclusion among holders that keep their sessions: a Mutex (or
//     the write side of an RWMutex) has at most one holder, a Semaphore at
//     most maxLeases leases, an RWMutex either readers or one writer.
//   - Fairness: acquirers are served in arrival order (sequence order); an
//     RWMutex reader waits behind every earlier writer.
//   - Lock returns success only in the session that created its node,
//     once that node was seen in place after its create (in a listing,
//     through the create itself, or through its own watch): work never
//     continues silently in a new session. Unlike election, a lock does
//     not read its node's stat first, since its token need only be
//     ordered (see Token); Lost watches the node from its first call.
//   - A failed or cancelled acquisition leaves no node behind: it is
//     deleted with a context detached from the caller's, before returning
//     while connected, otherwise by a client-owned goroutine while the
//     session lives (after which the server removes it).
//   - Token is a fencing token ordered like zxids, strictly greater for
//     every later holder of the path, also after the lock's container
//     parent was reaped and recreated.
//   - Handles are not reentrant. Curator's InterProcessMutex lets the
//     owning thread lock again; Go has no thread identity, so a second Lock
//     on a handle that holds (or is acquiring) the lock returns
//     [ErrAlreadyLocked] instead of deadlocking or counting. Use one handle
//     per goroutine.
//
// Not guaranteed: ZooKeeper cannot stop a process that was paused (GC,
// swap, SIGSTOP) past its session's expiry and still believes it holds
// the lock, while a new holder proceeds. Watch Lost and, for resources
// that can check it, pass Token with every write and have the resource
// reject tokens lower than the highest it has seen.
//
// # Failure behaviour
//
//   - Lost closes when the hold ends: session lost (also while partitioned:
//     the client declares the session lost once the server has been silent
//     for the session timeout), our node deleted by someone else, Unlock,
//     and, under the default policy, at the first suspension of the
//     connection, because the session may then be expiring unseen.
//     WithSuspendedIsLost(false) makes only session loss count, so a short
//     disconnect does not end the hold.
//   - A waiter whose session is lost returns the error (wrapping
//     zkrecipes.ErrSessionLost), never a lock acquired in a later session;
//     one whose node was deleted by someone else returns [ErrNodeDeleted].
//   - A create whose reply was lost to a connection loss is found again by
//     its protected name, never duplicated nor leaked.
//   - Unlock and Release that cannot delete the node (ctx done, connection
//     down) hand it to a client-owned goroutine that keeps trying while
//     the session lives, and return the error.
//   - Bad input (the policy of every zkrecipes package): constructors
//     return an error for an invalid path (wrapping
//     zkrecipes.ErrInvalidPath) or option (zkrecipes.ErrInvalidArgument),
//     and AcquireN with n outside 1..maxLeases returns one wrapping
//     zkrecipes.ErrInvalidArgument. A nil client, maxLeases < 1 and a
//     MultiLock of no locks or a nil one are programmer errors and panic
//     with a "lock: " message.
//
// # Znode layout
//
// Node names are Curator's, so Go and Java contenders queue together.
// "_c_<uuid>-" is the protected prefix (session id and a nonce).
//
//	<path>/_c_<uuid>-lock-0000000007         Mutex contender
//	<path>/_c_<uuid>-__READ__0000000008      RWMutex reader
//	<path>/_c_<uuid>-__WRIT__0000000009      RWMutex writer
//	<path>/locks/_c_<uuid>-lock-0000000003   Semaphore admission mutex
//	<path>/leases/_c_<uuid>-max3-lease-0000000011  Semaphore lease (ours)
//	<path>/leases/_c_<uuid>-lease-0000000012       Semaphore lease (Curator's)
//
// Parents are container nodes, which the server removes once empty. Our
// lease names carry maxLeases ("max3-"), which Curator ignores (it counts
// lease nodes) and which lets a Go participant detect another with a
// different limit ([ErrMaxLeasesMismatch]) without extra reads. Node data is
// empty unless [WithData] is given.
//
// An RWMutex write holder that takes the read lock (downgrade) is admitted
// at once, as in Curator. If a foreign writer queued between our write and
// read nodes, Unlock keeps the write node until RUnlock: Curator would let
// that writer in while our read lock is still held.
//
// # Curator equivalent
//
//	Mutex            InterProcessMutex
//	RWMutex          InterProcessReadWriteLock (readLock(), writeLock())
//	Semaphore, Lease InterProcessSemaphoreV2, Lease
//	MultiLock        InterProcessMultiLock
//	Lost             ConnectionStateListener SUSPENDED/LOST (standard policy)
//	Token            (none; Curator exposes the node, whose czxid orders holders as Token does)
//
// Curator's semaphore can also read maxLeases from a SharedCount; here
// every participant declares it and disagreement among Go participants is
// an error.
//
// # Performance
//
// These shortcuts change what is sent, never what is guaranteed; each has
// a test that fails without its guard.
//
// Each waiter watches only the node whose deletion can let it in. After a
// wake-up the waiter lists the children again, unless its last listing
// proved that the deleted node was the only one ahead that could keep it
// out and the watch on its own node, set on the same connection, has not
// fired: sequence numbers only grow, so nothing can get ahead of it, and a
// server sends a connection's events in the order of the changes, so had
// its own node been deleted first it would know. After a reconnection it
// lists again. So the next in line behind a holder takes over on the
// deletion event alone, one round trip sooner.
//
// An uncontended Lock costs two requests (create, list), sent back to back
// so that the listing adds no round trip, and Unlock one (delete): the
// fencing token comes out of the listing, and the watch on our own node
// that Lost needs is set only when Lost is called.
//
// A Mutex handle that locks again with nobody else around skips the
// listing too: ZooKeeper numbers a sequential node after the count of
// children its parent ever had created, so a node numbered one past the
// handle's last one proves that nothing was created in between and the
// node is alone. A data watch on the lock's parent, one per session and
// parent shared by all handles, set after two holds in a row, rules out a
// parent reaped and recreated meanwhile (its count restarts); after a
// reconnection the handle lists once and the watch is set again. So a
// singleton job that takes its lock in a loop pays a create and a delete
// per cycle, the two writes no lock can do without.
//
// The token is the creation zxid of our lock node or, when the acquiring
// listing proves it equivalent without another request, the zxid of the
// last change among the contenders at that moment (the parent's pzxid). A
// handle that locked again alone takes its last token plus one, which is
// below its node's creation zxid and above every earlier holder's token,
// so it keeps the same place in the order (see internal/contend).
package lock
