// Package counter provides counters kept in ZooKeeper: a [SharedCount]
// that processes read, compare-and-set and watch, and an [AtomicLong]
// that many processes increment without losing or double-counting an
// update. Both are byte-compatible with their Curator counterparts, so
// Java and Go processes can share one counter.
//
// # Guarantees
//
// Every update is a versioned write: it applies only if the node is still
// at the version its new value was computed from, so concurrent updates
// never overwrite each other. An AtomicLong retries a write that lost
// (after a jittered backoff and a fresh read) until it applies, and
// reports the exact values before and after it ([Result]).
//
// Every update is applied exactly once, even when the reply to a write
// is lost with the connection. Comparing the node's data afterwards cannot
// tell our write from another client's that wrote the same bytes from the
// same version (two increments of 41 both write 42), so each write is a
// transaction that also sets our session's marker node to a fresh nonce;
// after a lost reply the same transaction is sent again (its version check
// lets at most one of the two commit) and the marker says whether ours
// did. The only exception is a write in flight when its session is lost:
// then the call returns an error wrapping [zkrecipes.ErrUncertain], as the
// outcome cannot be known.
//
// A reader sees the value of the server it is connected to, which may lag
// the leader; writes are linearizable.
//
// # Failure behaviour
//
// Connection loss is retried within the session; after a session loss,
// operations carry on in the next session (nothing of a counter is tied to
// a session except the write markers, which die with it). Cancelling ctx
// stops an operation between attempts; a write already sent is seen
// through first, so that the call can say whether it was applied (this
// takes one round trip, or until the connection is back). [SharedCount.Watch]
// keeps watching across connection and session loss, and its channel is
// closed when its ctx is done or the client closes.
//
// Bad input (the policy of every zkrecipes package): NewAtomicLong and
// NewSharedCount return an error for an invalid path (wrapping
// zkrecipes.ErrInvalidPath) or option (zkrecipes.ErrInvalidArgument;
// WithPromotionLock's path also matches zkrecipes.ErrInvalidPath); a nil
// client is a programmer error and panics with a "counter: " message.
//
// # Znode layout
//
//	path                          persistent; the value: 8 bytes big-endian (AtomicLong)
//	                              or 4 bytes (SharedCount); empty data reads as 0
//	path/_w_<session id>          ephemeral write marker: one per session that writes the
//	                              counter, set to a fresh nonce by each of its writes
//	lockPath/_c_<uuid>-lock-<seq> the promotion lock's contenders (WithPromotionLock):
//	                              a [lock.Mutex], Curator's InterProcessMutex layout
//
// Missing parents are created as containers. The counter node cannot be
// deleted while a marker exists under it (delete its children first).
// Writers of one client to one counter share a marker and take turns for
// the write itself, so they queue locally instead of conflicting remotely.
//
// # Curator equivalent
//
// [SharedCount] is Curator's SharedCount (getVersionedValue, trySetCount,
// setCount, listeners), and [AtomicLong] is DistributedAtomicLong (get,
// add, increment, decrement, compareAndSet, trySet) with
// [WithPromotionLock] as PromotedToLock. Curator retries a setData whose
// reply was lost and then reports a conflict for its own landed write, so
// it may apply an increment twice; here it is applied once. Curator gives
// up after its retry policy is exhausted (succeeded() == false); Add keeps
// trying until ctx is done. Curator's add wraps around past the int64
// range (Java long arithmetic); Add refuses with [ErrOverflow] and writes
// nothing. Both store the same 8 bytes, so a value Java wrapped reads the
// same here.
package counter
