package zkrecipes

import (
	"context"
	"errors"
	"time"

	"github.com/go-zookeeper/zk"
)

// Observer receives what a Client and the recipes built on it do, for
// metrics and tracing: operations, retries and connection states of the
// client, and the recipes' own events (lock waits and holds, leadership,
// queue traffic, caches' loads, staleness and sizes, the instances of
// discovered services). Set it with [WithObserver]; the adapters in this
// repository's metrics/prometheus and metrics/otel modules fill one in.
//
// Every field is optional: a nil field is skipped, and a client without an
// Observer does no observer work at all (no clock reads, no allocations).
// New fields may be added; an Observer built with field names keeps
// compiling.
//
// The functions are called synchronously on the goroutine doing the work,
// ConnState with the client's state lock held: they must be fast, must not
// block, and must not call the Client. They may be called concurrently.
type Observer struct {
	// OpStart is called when an operation of [Ops] (Get, Create, Multi,
	// ...) starts, after its arguments were checked; OpDone when it
	// returns, with its Duration and Result. Every OpStart is followed by
	// exactly one OpDone, so the difference counts operations in flight.
	// Op is the name [OpError] carries ("get", "getw", "create", ...).
	OpStart func(OpEvent)
	OpDone  func(OpEvent)
	// Retry is called when an attempt of an operation failed with a
	// connection loss (Err) and the operation is to be sent again after
	// its backoff, unless ctx or the session ends first; Attempt is the
	// number of the next attempt, 2 for the first retry.
	Retry func(RetryEvent)

	// ConnState is called for every connection state change, as
	// subscribers see them ([Client.Subscribe]). The change that ends a
	// suspension (Reconnected, Lost, Closed) carries how long it lasted;
	// Lost carries why the session ended.
	ConnState func(ConnEvent)

	// LockAcquire is called when an acquisition of a lock of package lock
	// returns (Lock, TryLock, RLock, Acquire, ...), with the time it waited
	// and its Result ("ok" when acquired, "busy" for a TryLock that found
	// the lock taken; an AcquireN of n leases reports n acquisitions, one
	// per lease). LockRelease is called when a hold ends by Unlock or
	// Release, with the time it was held; LockLost when a hold is found
	// lost (session lost, node deleted, or a suspension under the default
	// policy): when its Lost channel closes, or at the latest at its
	// Unlock.
	LockAcquire func(LockEvent)
	LockRelease func(LockEvent)
	LockLost    func(LockEvent)

	// Leadership is called when a participant of package election becomes
	// leader (Leader true) and when that term ends (Leader false, with the
	// time it lasted and whether it was lost rather than resigned).
	Leadership func(LeaderEvent)

	// QueuePut and QueueTake are called when a put (Put, PutBatch, ...)
	// or a take (Take, Poll, and Consume's takes) of package queue
	// returns; a take's Duration includes its wait for a message. QueueRedelivery is called when a message is handed out
	// again (Deliveries > 1); QueueDeadLetter when one is moved to the
	// dead-letter queue.
	QueuePut        func(QueueEvent)
	QueueTake       func(QueueEvent)
	QueueRedelivery func(QueueEvent)
	QueueDeadLetter func(QueueEvent)

	// CacheSync is called when a cache of package cache has read every
	// node: at the end of its initial load (Resync false, with its
	// Initialized event) and of each resync after a reconnection or in a
	// new session (Resync true, with Reinitialized). CacheStale is called
	// when a cache becomes stale (the connection suspended or the session
	// lost, with its Stale event); every CacheStale is followed by a
	// CacheSync or a CacheClose (Stale true). CacheSize is called when the
	// number of nodes a cache holds changed, before the cache's event that
	// reports the change (Created, Deleted). CacheClose is called when a
	// started cache is closed, with what it held then: an adapter takes
	// its nodes (and its staleness) back out of its totals. They are
	// called on the cache's goroutine with the cache locked: they must not
	// read the cache.
	CacheSync  func(CacheEvent)
	CacheStale func(CacheEvent)
	CacheSize  func(CacheEvent)
	CacheClose func(CacheEvent)

	// ServiceInstances is called when the number of instances in a
	// ServiceCache of package discovery changed: after its initial load
	// and after each registration or unregistration it sees, with the
	// instances it holds then, and at its Close with none (Delta takes
	// them back out).
	ServiceInstances func(ServiceEvent)
}

// OpEvent is one operation of [Ops]. OpStart gets Op and Path only.
type OpEvent struct {
	Op       string        // "get", "getw", "exists", "children", "create", "set", "delete", "multi", "sync", ...
	Path     string        // as the caller gave it, relative to the namespace ("" for multi)
	Duration time.Duration // from OpStart to OpDone, retries included
	Result   string        // ResultOf(Err)
	Err      error
}

// RetryEvent is one retry of an operation after a connection loss.
type RetryEvent struct {
	Op      string
	Path    string
	Attempt int   // the attempt about to be made, 2 for the first retry
	Err     error // what the previous attempt failed with
}

// ConnEvent is one connection state change.
type ConnEvent struct {
	State   State
	Session *Session // as in StateChange
	// SuspendedFor is how long the connection was suspended, on the change
	// that ends a suspension (Reconnected, Lost, Closed); else 0.
	SuspendedFor time.Duration
	// Reason says why a session was Lost: "expired" (the server said so),
	// "timeout" (disconnected for the session timeout: the client declared
	// it lost) or "new_session" (the server gave the connection another
	// session). "" for other states.
	Reason string
}

// LockEvent is an acquisition, release or loss of a lock of package lock.
type LockEvent struct {
	Path   string        // the lock's path, as given to its constructor
	Kind   string        // "mutex", "read", "write" or "semaphore"
	Wait   time.Duration // LockAcquire: from the call to its return
	Held   time.Duration // LockRelease, LockLost: since the acquisition
	Result string        // LockAcquire: "ok", "busy", or ResultOf(Err)
	Err    error         // LockAcquire: the error returned
}

// LeaderEvent is the start or end of a leadership term of package election.
type LeaderEvent struct {
	Path   string // the election's path
	ID     string // the participant's id
	Leader bool   // true: the term starts; false: it ends
	Held   time.Duration
	Lost   bool // the term ended other than by Resign
}

// QueueEvent is a put, take, redelivery or dead-lettering of package queue.
type QueueEvent struct {
	Path       string
	Messages   int           // QueuePut: messages in the put
	Duration   time.Duration // QueuePut, QueueTake: from the call to its return
	Deliveries int           // QueueRedelivery, QueueDeadLetter: the message's count
	Result     string        // QueuePut, QueueTake: "ok", "empty" (Poll), or ResultOf(Err)
	Err        error
}

// CacheEvent is a load, a staleness, a change of size or the close of a
// cache of package cache (Node, Children or Tree).
type CacheEvent struct {
	Path     string        // the cache's root path
	Kind     string        // "node", "children" or "tree"
	Nodes    int           // the nodes the cache holds now (CacheClose: when closed)
	Delta    int           // CacheSize: Nodes less the previous CacheSize's (the first: less 0)
	Resync   bool          // CacheSync: a resync, not the initial load
	Stale    bool          // CacheSync, CacheClose: the cache was stale until then
	StaleFor time.Duration // CacheSync after a staleness: how long it lasted
}

// ServiceEvent is a change of the instance list of a discovery
// ServiceCache.
type ServiceEvent struct {
	Path      string // the service's path (base path and name)
	Service   string // the service's name
	Instances int    // the instances in the list now
	Delta     int    // Instances less the previous event's (the first: less 0)
}

// WithObserver reports the client's operations, connection states and
// recipes' events to ob (see [Observer]). A later WithObserver replaces an
// earlier one.
func WithObserver(ob Observer) Option {
	return func(o *options) { o.observer = &ob }
}

// ResultOf names the outcome of an operation by the error it returned, in
// the few words the Observer's events carry, fit for a metric label: "ok",
// "no_node", "node_exists", "bad_version", "not_empty", "no_auth",
// "invalid", "canceled", "deadline", "uncertain", "connection_loss",
// "session_lost", "closed", or "error" for anything else.
func ResultOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, ErrUncertain):
		return "uncertain"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, ErrSessionLost), errors.Is(err, zk.ErrSessionExpired):
		return "session_lost"
	case errors.Is(err, ErrRepeatedDrop), errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer):
		return "connection_loss"
	case errors.Is(err, zk.ErrNoNode):
		return "no_node"
	case errors.Is(err, zk.ErrNodeExists):
		return "node_exists"
	case errors.Is(err, zk.ErrBadVersion):
		return "bad_version"
	case errors.Is(err, zk.ErrNotEmpty):
		return "not_empty"
	case errors.Is(err, zk.ErrNoAuth):
		return "no_auth"
	case errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrInvalidPath):
		return "invalid"
	}
	return "error"
}

// observer returns the client's Observer, nil without one. Recipes reach
// it through internal/observe.
func (c *Client) observer() *Observer { return c.o.observer }

// opSpan times one operation; the zero opSpan (no observer) does nothing.
type opSpan struct {
	ob       *Observer
	op, path string
	start    time.Time
}

func (c *Client) startOp(op, path string) opSpan {
	ob := c.o.observer
	if ob == nil {
		return opSpan{}
	}
	if ob.OpStart != nil {
		ob.OpStart(OpEvent{Op: op, Path: path})
	}
	return opSpan{ob: ob, op: op, path: path, start: time.Now()}
}

func (s opSpan) end(err error) {
	if s.ob == nil || s.ob.OpDone == nil {
		return
	}
	s.ob.OpDone(OpEvent{Op: s.op, Path: s.path, Duration: time.Since(s.start), Result: ResultOf(err), Err: err})
}

// retry reports attempt number n (2 for the first retry) after err.
func (s opSpan) retry(n int, err error) {
	if s.ob == nil || s.ob.Retry == nil {
		return
	}
	s.ob.Retry(RetryEvent{Op: s.op, Path: s.path, Attempt: n, Err: err})
}

// observeConnLocked reports a state change; c.mu is held.
func (c *Client) observeConnLocked(st State, sess *Session, reason string, at time.Time) {
	ob := c.o.observer
	if ob == nil {
		return
	}
	ev := ConnEvent{State: st, Session: sess, Reason: reason}
	switch st {
	case Suspended:
		c.suspendedAt = at
	default:
		if !c.suspendedAt.IsZero() {
			ev.SuspendedFor = at.Sub(c.suspendedAt)
			c.suspendedAt = time.Time{}
		}
	}
	if ob.ConnState != nil {
		ob.ConnState(ev)
	}
}
