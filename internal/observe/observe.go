// Package observe is the recipes' one way to report to the client's
// zkrecipes.Observer. Each recipe calls a few of its functions at the
// points where its events happen; everything here is a no-op, without a
// clock read or an allocation, when the client has no Observer (or the
// Observer lacks the field concerned).
package observe

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam"
)

// Acquire times one acquisition of a lock; the zero Acquire does nothing.
type Acquire struct {
	ob         *zkrecipes.Observer
	path, kind string
	start      time.Time
}

// StartAcquire starts timing an acquisition of the lock at path, of kind
// "mutex", "read", "write" or "semaphore".
func StartAcquire(c *zkrecipes.Client, path, kind string) Acquire {
	ob := seam.Observer(c)
	if ob == nil || (ob.LockAcquire == nil && ob.LockRelease == nil && ob.LockLost == nil) {
		return Acquire{}
	}
	return Acquire{ob: ob, path: path, kind: kind, start: time.Now()}
}

// Done reports the acquisition's outcome: err is what the caller gets, and
// an error matching busy (the recipe's "taken" error for a try) is
// reported as "busy". On success it returns the Hold to report the hold's
// end through; nil otherwise, or without an Observer.
func (a Acquire) Done(err, busy error) *Hold {
	if a.ob == nil {
		return nil
	}
	now := time.Now()
	if f := a.ob.LockAcquire; f != nil {
		ev := zkrecipes.LockEvent{Path: a.path, Kind: a.kind, Wait: now.Sub(a.start), Err: err}
		switch {
		case err != nil && busy != nil && errors.Is(err, busy):
			ev.Result = "busy"
		default:
			ev.Result = zkrecipes.ResultOf(err)
		}
		f(ev)
	}
	if err != nil {
		return nil
	}
	return &Hold{ob: a.ob, path: a.path, kind: a.kind, since: now}
}

// Hold is one held lock. A nil *Hold does nothing.
type Hold struct {
	ob         *zkrecipes.Observer
	path, kind string
	since      time.Time
	lost       atomic.Bool
	ended      atomic.Bool
}

// Lost reports that the hold was lost; only the first call reports.
func (h *Hold) Lost() {
	if h == nil || h.lost.Swap(true) {
		return
	}
	if f := h.ob.LockLost; f != nil {
		f(zkrecipes.LockEvent{Path: h.path, Kind: h.kind, Held: time.Since(h.since)})
	}
}

// Released reports the end of the hold by Unlock or Release; lost says
// whether it had been lost by then (reported as Lost first, if not yet).
// Only the first call reports.
func (h *Hold) Released(lost bool) {
	if h == nil || h.ended.Swap(true) {
		return
	}
	if lost {
		h.Lost()
	}
	if f := h.ob.LockRelease; f != nil {
		f(zkrecipes.LockEvent{Path: h.path, Kind: h.kind, Held: time.Since(h.since)})
	}
}

// Term is one leadership term. A nil *Term does nothing.
type Term struct {
	f        func(zkrecipes.LeaderEvent)
	path, id string
	since    time.Time
	ended    atomic.Bool
}

// StartTerm reports that participant id became leader of the election at
// path, and returns the Term to report its end through (nil without an
// Observer).
func StartTerm(c *zkrecipes.Client, path, id string) *Term {
	ob := seam.Observer(c)
	if ob == nil || ob.Leadership == nil {
		return nil
	}
	t := &Term{f: ob.Leadership, path: path, id: id, since: time.Now()}
	t.f(zkrecipes.LeaderEvent{Path: path, ID: id, Leader: true})
	return t
}

// End reports the end of the term: lost, or resigned. Only the first call
// reports.
func (t *Term) End(lost bool) {
	if t == nil || t.ended.Swap(true) {
		return
	}
	t.f(zkrecipes.LeaderEvent{Path: t.path, ID: t.id, Held: time.Since(t.since), Lost: lost})
}

// Queue times one put or take of a queue; the zero Queue does nothing.
type Queue struct {
	ob    *zkrecipes.Observer
	path  string
	start time.Time
}

// StartQueue starts timing a put or take on the queue at path.
func StartQueue(c *zkrecipes.Client, path string) Queue {
	ob := seam.Observer(c)
	if ob == nil || (ob.QueuePut == nil && ob.QueueTake == nil) {
		return Queue{}
	}
	return Queue{ob: ob, path: path, start: time.Now()}
}

// Put reports a put of n messages that returned err.
func (q Queue) Put(n int, err error) {
	if q.ob == nil || q.ob.QueuePut == nil {
		return
	}
	q.ob.QueuePut(zkrecipes.QueueEvent{Path: q.path, Messages: n, Duration: time.Since(q.start), Result: zkrecipes.ResultOf(err), Err: err})
}

// Take reports a take that returned err; an error matching empty (Poll's
// ErrEmpty) is reported as "empty".
func (q Queue) Take(err, empty error) {
	if q.ob == nil || q.ob.QueueTake == nil {
		return
	}
	ev := zkrecipes.QueueEvent{Path: q.path, Duration: time.Since(q.start), Err: err}
	if err != nil && errors.Is(err, empty) {
		ev.Result = "empty"
	} else {
		ev.Result = zkrecipes.ResultOf(err)
	}
	q.ob.QueueTake(ev)
}

// Redelivery reports a message of the queue at path handed out for the
// deliveries-th time (more than once).
func Redelivery(c *zkrecipes.Client, path string, deliveries int) {
	if ob := seam.Observer(c); ob != nil && ob.QueueRedelivery != nil {
		ob.QueueRedelivery(zkrecipes.QueueEvent{Path: path, Deliveries: deliveries})
	}
}

// DeadLetter reports a message of the queue at path moved to its
// dead-letter queue after deliveries deliveries.
func DeadLetter(c *zkrecipes.Client, path string, deliveries int) {
	if ob := seam.Observer(c); ob != nil && ob.QueueDeadLetter != nil {
		ob.QueueDeadLetter(zkrecipes.QueueEvent{Path: path, Deliveries: deliveries})
	}
}

// Cache reports the loads, staleness and size of one cache of package
// cache. Its methods are called by the cache's loop goroutine alone (and
// Closed after it ended), so it needs no lock. A nil *Cache does nothing.
type Cache struct {
	ob         *zkrecipes.Observer
	path, kind string
	nodes      int // as last reported
	stale      bool
	staleAt    time.Time
}

// NewCache returns the reporter of the cache at path, of kind "node",
// "children" or "tree"; nil without an Observer or its cache fields.
func NewCache(c *zkrecipes.Client, path, kind string) *Cache {
	ob := seam.Observer(c)
	if ob == nil || (ob.CacheSync == nil && ob.CacheStale == nil && ob.CacheSize == nil && ob.CacheClose == nil) {
		return nil
	}
	return &Cache{ob: ob, path: path, kind: kind}
}

// Size reports that the cache holds n nodes, if that changed. It is cheap
// when nothing changed: the cache calls it before each of its events.
func (c *Cache) Size(n int) {
	if c == nil || n == c.nodes {
		return
	}
	d := n - c.nodes
	c.nodes = n
	if f := c.ob.CacheSize; f != nil {
		f(zkrecipes.CacheEvent{Path: c.path, Kind: c.kind, Nodes: n, Delta: d})
	}
}

// Stale reports that the cache became stale at at; only the first call of
// a staleness reports.
func (c *Cache) Stale(at time.Time) {
	if c == nil || c.stale {
		return
	}
	c.stale, c.staleAt = true, at
	if f := c.ob.CacheStale; f != nil {
		f(zkrecipes.CacheEvent{Path: c.path, Kind: c.kind, Nodes: c.nodes, Stale: true})
	}
}

// Synced reports a complete load: a resync, or the initial load.
func (c *Cache) Synced(resync bool) {
	if c == nil {
		return
	}
	ev := zkrecipes.CacheEvent{Path: c.path, Kind: c.kind, Nodes: c.nodes, Resync: resync, Stale: c.stale}
	if c.stale {
		ev.StaleFor = time.Since(c.staleAt)
		c.stale, c.staleAt = false, time.Time{}
	}
	if f := c.ob.CacheSync; f != nil {
		f(ev)
	}
}

// Closed reports the close of the cache, with what it held then.
func (c *Cache) Closed() {
	if c == nil {
		return
	}
	if f := c.ob.CacheClose; f != nil {
		f(zkrecipes.CacheEvent{Path: c.path, Kind: c.kind, Nodes: c.nodes, Stale: c.stale})
	}
}

// Service reports the instance count of one discovery ServiceCache. Its
// Instances is called by one goroutine at a time. A nil *Service does
// nothing.
type Service struct {
	f          func(zkrecipes.ServiceEvent)
	path, name string
	n          int // as last reported
}

// NewService returns the reporter of the ServiceCache of service name at
// path; nil without an Observer or its ServiceInstances.
func NewService(c *zkrecipes.Client, path, name string) *Service {
	ob := seam.Observer(c)
	if ob == nil || ob.ServiceInstances == nil {
		return nil
	}
	return &Service{f: ob.ServiceInstances, path: path, name: name}
}

// Instances reports that the list holds n instances, if that changed.
func (s *Service) Instances(n int) {
	if s == nil || n == s.n {
		return
	}
	d := n - s.n
	s.n = n
	s.f(zkrecipes.ServiceEvent{Path: s.path, Service: s.name, Instances: n, Delta: d})
}
