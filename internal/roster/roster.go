// Package roster follows the members of a group, the children of one
// node, through a children cache: it keeps them decoded in an immutable
// snapshot that readers take without I/O or locks, and turns the cache's
// events into member changes (joined, left, updated) with the member in
// them. Package group (kazoo's Party) and discovery's ServiceCache are
// built on it.
package roster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

var errClosedSub = fmt.Errorf("roster: subscription closed: %w", zkrecipes.ErrClosed)

// Kind says what a Change reports.
type Kind int

// Change kinds.
const (
	Joined  Kind = iota + 1 // a member appeared (Change.New)
	Left                    // a member is gone (Change.Old)
	Updated                 // a member's data changed (Change.Old, Change.New)
)

func (k Kind) String() string {
	switch k {
	case Joined:
		return "joined"
	case Left:
		return "left"
	case Updated:
		return "updated"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Change is one change of a roster's members.
type Change[T any] struct {
	Kind     Kind
	Name     string // the member's node name
	Old, New T      // the member before and after (zero when absent)
	At       time.Time
}

// Decode turns a child entry into a member; an error leaves the child out
// (it is logged).
type Decode[T any] func(name string, e *cache.Entry) (T, error)

// Roster is the live member list of one group. It is safe for concurrent
// use.
type Roster[T any] struct {
	c      *zkrecipes.Client
	ch     *cache.Children
	decode Decode[T]
	count  func(n int)         // nil, or told the member count after each publish
	snap   atomic.Pointer[[]T] // sorted by name; never modified once stored

	// Owned by the roster's goroutine.
	members map[string]T
	names   []string // sorted

	mu   sync.Mutex
	subs map[*Changes[T]]struct{}
	done chan struct{}
}

// Start loads the members of path and follows them until Close. It
// returns once the initial load is complete (the snapshot holds every
// member that existed when path was listed), or with ctx's error or the
// client's, leaving nothing running. count, if not nil, is told the
// number of members each time the snapshot is replaced (on the roster's
// goroutine), and 0 when the roster ends.
func Start[T any](ctx context.Context, c *zkrecipes.Client, path string, decode Decode[T], count func(n int)) (*Roster[T], error) {
	ch, err := cache.NewChildren(c, path)
	if err != nil {
		return nil, err
	}
	r := &Roster[T]{c: c, ch: ch, decode: decode, count: count, members: map[string]T{}, subs: map[*Changes[T]]struct{}{}, done: make(chan struct{})}
	r.snap.Store(new([]T))
	sub := ch.Subscribe() // before Start: sees every member arrive
	if err := ch.Start(ctx); err != nil {
		sub.Close()
		return nil, err
	}
	ready := make(chan struct{})
	if !seam.Go(c, func(context.Context) { r.run(sub, ready) }) {
		sub.Close()
		ch.Close()
		return nil, fmt.Errorf("roster: %s: %w", path, zkrecipes.ErrClosed)
	}
	select {
	case <-ready:
		return r, nil
	case <-r.done:
		return nil, fmt.Errorf("roster: %s: %w", path, zkrecipes.ErrClosed)
	case <-ctx.Done():
		r.Close()
		return nil, ctx.Err()
	}
}

// run applies the cache's events until the cache is closed.
func (r *Roster[T]) run(sub *cache.Subscription, ready chan struct{}) {
	defer close(r.done)
	defer sub.Close()
	if r.count != nil {
		defer r.count(0) // the members leave the count with the roster
	}
	initialized := false
	for {
		ev, err := sub.Next(context.Background())
		if err != nil {
			r.endSubs(err)
			return
		}
		switch ev.Kind {
		case cache.Initialized:
			r.publish()
			if !initialized {
				initialized = true
				close(ready)
			}
			continue
		case cache.Created, cache.Changed, cache.Deleted:
		default:
			continue
		}
		if ev.Path == r.ch.Path() {
			continue // the parent itself
		}
		ch, ok := r.apply(ev)
		if !ok {
			continue
		}
		if initialized {
			r.publish()
		}
		r.mu.Lock()
		for q := range r.subs {
			q.push(ch)
		}
		r.mu.Unlock()
	}
}

// apply updates the members for one cache event and returns the change.
func (r *Roster[T]) apply(ev cache.Event) (Change[T], bool) {
	name := zkpath.Base(ev.Path)
	old, had := r.members[name]
	var now T
	has := false
	if ev.New != nil {
		v, err := r.decode(name, ev.New)
		if err != nil {
			r.c.Logger().Warn("roster: leaving out a member that cannot be read", "path", ev.Path, "err", err)
		} else {
			now, has = v, true
		}
	}
	ch := Change[T]{Name: name, Old: old, New: now, At: ev.At}
	switch {
	case has && had:
		ch.Kind = Updated
		r.members[name] = now
	case has:
		ch.Kind = Joined
		r.members[name] = now
		i, _ := slices.BinarySearch(r.names, name)
		r.names = slices.Insert(r.names, i, name)
	case had:
		ch.Kind = Left
		delete(r.members, name)
		if i, ok := slices.BinarySearch(r.names, name); ok {
			r.names = slices.Delete(r.names, i, i+1)
		}
	default:
		return ch, false
	}
	return ch, true
}

// publish stores a new snapshot of the members.
func (r *Roster[T]) publish() {
	s := make([]T, len(r.names))
	for i, n := range r.names {
		s[i] = r.members[n]
	}
	r.snap.Store(&s)
	if r.count != nil {
		r.count(len(s))
	}
}

// List returns the members, sorted by node name. The slice is shared and
// must not be modified; it is replaced, never changed, when the members
// change, so it is the same slice until then.
func (r *Roster[T]) List() []T { return *r.snap.Load() }

// Subscribe starts a subscription to the changes after this call. The
// snapshot is updated before a change is delivered: List after Next
// reflects at least that change.
func (r *Roster[T]) Subscribe() *Changes[T] {
	q := newChanges(r)
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.done:
		q.end(fmt.Errorf("roster: %w", zkrecipes.ErrClosed))
	default:
		r.subs[q] = struct{}{}
	}
	return q
}

func (r *Roster[T]) unsubscribe(q *Changes[T]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.subs, q)
}

func (r *Roster[T]) endSubs(err error) {
	if !errors.Is(err, zkrecipes.ErrClosed) {
		err = fmt.Errorf("%w: %v", zkrecipes.ErrClosed, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for q := range r.subs {
		q.end(err)
	}
	r.subs = nil
}

// Stale reports whether the roster may miss changes (the connection is
// suspended, or the cache is catching up after it), and since when.
func (r *Roster[T]) Stale() (bool, time.Time) { return r.ch.Stale() }

// Path returns the group's path.
func (r *Roster[T]) Path() string { return r.ch.Path() }

// Close stops following the members and waits for the roster's goroutine.
// Subscriptions then return the changes queued before, then an error
// matching zkrecipes.ErrClosed. Close is idempotent.
func (r *Roster[T]) Close() {
	r.ch.Close()
	<-r.done
}
