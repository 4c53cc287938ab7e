// Package scope keeps the state that recipes attach to a Client or to a
// Session, so that it lives exactly as long as its owner.
//
// Recipes sometimes share state between their handles: one counter writer
// per client and path, one parent watch per session and lock directory. A
// process-wide map keyed by *zkrecipes.Client would keep every closed
// client alive; a map keyed by *zkrecipes.Session would keep every ended
// session. Instead, each Client and each Session owns a Store, and recipe
// code reaches it with Of.
//
// Lifetimes: a Client's store ends as Client.Close finishes, once every
// goroutine of the client has stopped. A Session's store ends when the
// session does, lost or closed, right after its Done channel is closed.
// Ending drops every value and runs the End method of those that have one;
// a store that has ended keeps nothing (see Value).
//
// Concurrency: a Store is safe for concurrent use. Values are created
// under the store's lock, so create must be quick and must not use the
// store; End methods run after the lock is released, on the goroutine
// that ends the store, which may hold the client's own locks: they must
// not block or call the client.
//
// The root package owns the stores (a field of Client and of Session) and
// installs Of in its init; nothing of this is exported to users.
package scope

import (
	"fmt"
	"sync"
)

// Store holds values by key for one owner. The zero Store is ready to use.
type Store struct {
	mu    sync.Mutex
	vals  map[any]any
	ended bool
}

// Ender is implemented by values that hold something to release when
// their store ends.
type Ender interface{ End() }

// of is installed by package zkrecipes (see Install).
var of func(owner any) *Store

// Install sets the function behind Of. Package zkrecipes calls it once,
// from its init; nothing else may.
func Install(f func(owner any) *Store) {
	if of != nil {
		panic("scope: Install called twice")
	}
	of = f
}

// Of returns the store of owner, a *zkrecipes.Client or a
// *zkrecipes.Session. It panics for anything else.
func Of(owner any) *Store {
	st := of(owner)
	if st == nil {
		panic(fmt.Sprintf("scope: %T owns no store", owner))
	}
	return st
}

// Value returns the value st holds under key, first storing create() if
// it holds none. Keys are compared with ==; recipes use keys of their own
// unexported types, so that two packages never share one.
//
// Once st has ended Value stores nothing: it returns a fresh create(),
// already ended (its End run) if it is an Ender. Recipe code may therefore
// use the value of an ended owner; it shares nothing.
func Value[V any](st *Store, key any, create func() V) V {
	st.mu.Lock()
	if v, ok := st.vals[key]; ok {
		st.mu.Unlock()
		return v.(V)
	}
	v := create()
	if !st.ended {
		if st.vals == nil {
			st.vals = map[any]any{}
		}
		st.vals[key] = v
		st.mu.Unlock()
		return v
	}
	st.mu.Unlock()
	if e, ok := any(v).(Ender); ok {
		e.End()
	}
	return v
}

// End ends st: it drops every value and runs the End method of those that
// have one, in no particular order. Later calls do nothing.
func (st *Store) End() {
	st.mu.Lock()
	vals := st.vals
	st.vals, st.ended = nil, true
	st.mu.Unlock()
	for _, v := range vals {
		if e, ok := v.(Ender); ok {
			e.End()
		}
	}
}
