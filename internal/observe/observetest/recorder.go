// Package observetest records what a zkrecipes.Observer is told, for the
// tests of the packages that report to it.
package observetest

import (
	"context"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// Recorder keeps every event; its Observer fills every field.
type Recorder struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced at each event

	OpStarts, OpDones            []zkrecipes.OpEvent
	Retries                      []zkrecipes.RetryEvent
	Conns                        []zkrecipes.ConnEvent
	Acquires, Releases, Losses   []zkrecipes.LockEvent
	Terms                        []zkrecipes.LeaderEvent
	Puts, Takes, Redels, Letters []zkrecipes.QueueEvent
	Syncs, Stales, Sizes, Closes []zkrecipes.CacheEvent
	Services                     []zkrecipes.ServiceEvent
}

// New returns an empty Recorder.
func New() *Recorder { return &Recorder{changed: make(chan struct{})} }

func add[T any](r *Recorder, s *[]T, v T) {
	r.mu.Lock()
	*s = append(*s, v)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Observer returns an Observer that records into r.
func (r *Recorder) Observer() zkrecipes.Observer {
	return zkrecipes.Observer{
		OpStart:          func(e zkrecipes.OpEvent) { add(r, &r.OpStarts, e) },
		OpDone:           func(e zkrecipes.OpEvent) { add(r, &r.OpDones, e) },
		Retry:            func(e zkrecipes.RetryEvent) { add(r, &r.Retries, e) },
		ConnState:        func(e zkrecipes.ConnEvent) { add(r, &r.Conns, e) },
		LockAcquire:      func(e zkrecipes.LockEvent) { add(r, &r.Acquires, e) },
		LockRelease:      func(e zkrecipes.LockEvent) { add(r, &r.Releases, e) },
		LockLost:         func(e zkrecipes.LockEvent) { add(r, &r.Losses, e) },
		Leadership:       func(e zkrecipes.LeaderEvent) { add(r, &r.Terms, e) },
		QueuePut:         func(e zkrecipes.QueueEvent) { add(r, &r.Puts, e) },
		QueueTake:        func(e zkrecipes.QueueEvent) { add(r, &r.Takes, e) },
		QueueRedelivery:  func(e zkrecipes.QueueEvent) { add(r, &r.Redels, e) },
		QueueDeadLetter:  func(e zkrecipes.QueueEvent) { add(r, &r.Letters, e) },
		CacheSync:        func(e zkrecipes.CacheEvent) { add(r, &r.Syncs, e) },
		CacheStale:       func(e zkrecipes.CacheEvent) { add(r, &r.Stales, e) },
		CacheSize:        func(e zkrecipes.CacheEvent) { add(r, &r.Sizes, e) },
		CacheClose:       func(e zkrecipes.CacheEvent) { add(r, &r.Closes, e) },
		ServiceInstances: func(e zkrecipes.ServiceEvent) { add(r, &r.Services, e) },
	}
}

// Read calls f with r locked, to read its slices.
func (r *Recorder) Read(f func(r *Recorder)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// Wait returns true once cond (called with r locked) holds, false if ctx
// ends first.
func (r *Recorder) Wait(ctx context.Context, cond func(r *Recorder) bool) bool {
	for {
		r.mu.Lock()
		ok, ch := cond(r), r.changed
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// WaitFor is Wait with a deadline of d.
func (r *Recorder) WaitFor(d time.Duration, cond func(r *Recorder) bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return r.Wait(ctx, cond)
}
