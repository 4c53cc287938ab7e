package sock

import (
	"errors"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// watchKind is what a one-shot watch was left by, which decides the events
// that fire it (as in ZooKeeper's own client).
type watchKind uint8

const (
	kindData  watchKind = iota // getData, or exists on a node that exists
	kindExist                  // exists on a node that does not
	kindChild                  // getChildren
)

type watchKey struct {
	path string
	kind watchKind
}

// class is the server's table the watch lives in: data and exist watches
// share one (removeWatches type Data), child watches have their own.
func (k watchKey) class() watchClass {
	if k.kind == kindChild {
		return watchClass{k.path, true}
	}
	return watchClass{k.path, false}
}

type watchClass struct {
	path  string
	child bool
}

// A Watcher is one local watcher: it gets one event, through its channel
// or its function. Remove ends it early.
type Watcher struct {
	key watchKey
	ch  chan zk.Event
	fn  func(zk.Event)
	set *Set
}

// deliver gives w its one event; the caller removed w from the registry.
func (w *Watcher) deliver(e zk.Event) {
	if w.fn != nil {
		w.fn(e)
		return
	}
	w.ch <- e
	close(w.ch)
}

// ErrWatchRemoved is the error of the EventNotWatching a removed watcher
// gets.
var ErrWatchRemoved = errors.New("watch removed")

// registry is a session's one-shot watches: the server holds one watch per
// path and kind for the session, and its one event fires every local
// watcher of that path and kind. The registry outlives connections: each
// new connection of the session sets it again on the server (see
// Set.rearmFrames). It ends with the session.
//
// A watcher removed early may leave its server watch without a local
// watcher; the server watch is then removed too (removeWatches), unless a
// request that sets one of the same class is in flight (pending): its
// reply would register a local watcher the server no longer backs. While
// a removal is being written, requests of that class wait (removing), so
// that the server sees them after it.
type registry struct {
	mu       sync.Mutex
	ws       map[watchKey][]*Watcher
	pending  map[watchClass]int
	removing map[watchClass]chan struct{}
	ended    error // the session's end; later watchers get it at once

	persist   map[string]*pwatch // recursive watches by path (see persist.go)
	unflagged map[watchKey]int   // watching reads in flight sent without the flag
}

// begin notes a watching request of key's class about to be written,
// after any removal of that class has been; end undoes it once the
// request's reply was handled or will never be.
func (r *registry) begin(k watchKey) {
	c := k.class()
	for {
		r.mu.Lock()
		wait := r.removing[c]
		if wait == nil {
			if r.pending == nil {
				r.pending = map[watchClass]int{}
			}
			r.pending[c]++
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		<-wait // a write, bounded by the write timeout
	}
}

func (r *registry) end(k watchKey) {
	c := k.class()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending[c]--; r.pending[c] <= 0 {
		delete(r.pending, c)
	}
}

// add registers w (its key and channel or function set).
func (r *registry) add(w *Watcher) {
	r.mu.Lock()
	if r.ended != nil {
		err := r.ended
		r.mu.Unlock()
		w.deliver(notWatching(w.key.path, err))
		return
	}
	if r.ws == nil {
		r.ws = map[watchKey][]*Watcher{}
	}
	r.ws[w.key] = append(r.ws[w.key], w)
	r.mu.Unlock()
}

// fire delivers a notification read on c to the watchers it ends and to
// the recursive watches it concerns.
func (r *registry) fire(c *conn, ev wire.Event) {
	var kinds []watchKind
	switch ev.Type {
	case wire.EventNodeCreated:
		kinds = []watchKind{kindExist}
	case wire.EventNodeDataChanged:
		kinds = []watchKind{kindExist, kindData}
	case wire.EventNodeDeleted:
		kinds = []watchKind{kindExist, kindData, kindChild}
	case wire.EventNodeChildrenChanged:
		kinds = []watchKind{kindChild}
	}
	e := zk.Event{Type: zk.EventType(ev.Type), State: zk.State(ev.State), Path: ev.Path}
	var fired []*Watcher
	r.mu.Lock()
	for _, k := range kinds {
		key := watchKey{ev.Path, k}
		fired = append(fired, r.ws[key]...)
		delete(r.ws, key)
	}
	r.mu.Unlock()
	for _, w := range fired {
		w.deliver(e)
	}
	targets, children := r.firePersistent(c, e)
	if len(children) > 0 {
		ce := e
		ce.Type, ce.Path = zk.EventNodeChildrenChanged, parentPath(e.Path)
		for _, w := range children {
			w.deliver(ce)
		}
	}
	for _, p := range targets {
		p.deliver(Notice{Kind: Changed, Event: e}, nil)
	}
}

// remove takes w out of the registry; it reports whether w was there,
// and whether the server's watch of its class is now unbacked and free
// to remove (the caller then writes removeWatches and calls removed).
func (r *registry) remove(w *Watcher) (found, unbacked bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ws := r.ws[w.key]
	for i, x := range ws {
		if x == w {
			found = true
			ws = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if !found {
		return false, false
	}
	if len(ws) == 0 {
		delete(r.ws, w.key)
	} else {
		r.ws[w.key] = ws
	}
	c := w.key.class()
	if r.pending[c] > 0 || r.removing[c] != nil || r.ended != nil || r.persist[c.path] != nil {
		// (a recursive watch on the path serves it: removing a one-shot
		// watch there would remove half of the recursive one)
		return true, false
	}
	for _, k := range []watchKind{kindData, kindExist, kindChild} {
		if (watchKey{c.path, k}).class() == c && len(r.ws[watchKey{c.path, k}]) > 0 {
			return true, false
		}
	}
	if r.removing == nil {
		r.removing = map[watchClass]chan struct{}{}
	}
	r.removing[c] = make(chan struct{})
	return true, true
}

// removed ends the removal of class c's server watch.
func (r *registry) removed(c watchClass) {
	r.mu.Lock()
	defer r.mu.Unlock()
	close(r.removing[c])
	delete(r.removing, c)
}

// paths returns the watched paths by kind, for setWatches.
func (r *registry) paths() (data, exist, child []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.ws {
		switch k.kind {
		case kindData:
			data = append(data, k.path)
		case kindExist:
			exist = append(exist, k.path)
		case kindChild:
			child = append(child, k.path)
		}
	}
	return data, exist, child
}

// endAll ends every watch with err: the session is over.
func (r *registry) endAll(err error) {
	r.mu.Lock()
	if r.ended != nil {
		r.mu.Unlock()
		return
	}
	r.ended = err
	ws := r.ws
	r.ws = nil
	r.mu.Unlock()
	for k, list := range ws {
		for _, w := range list {
			w.deliver(notWatching(k.path, err))
		}
	}
}

// Watches returns how many local watchers are registered.
func (s *Set) Watches() int {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	n := 0
	for _, ws := range s.reg.ws {
		n += len(ws)
	}
	return n
}

// Remove ends w before it fires: it gets EventNotWatching with
// ErrWatchRemoved, unless it fired or was removed already (false). When
// no other local watcher needs the server's watch, the server is told to
// drop it (removeWatches, ZooKeeper 3.5+), without waiting for the reply.
func (w *Watcher) Remove() bool {
	s := w.set
	found, unbacked := s.reg.remove(w)
	if !found {
		return false
	}
	w.deliver(notWatching(w.key.path, ErrWatchRemoved))
	if unbacked {
		c := w.key.class()
		typ := int32(2) // Data: the data and exist watches of the path
		if c.child {
			typ = 1 // Children
		}
		s.sendOwn(func(xid int32) []byte {
			e := wire.NewRequest(xid, wire.OpRemoveWatches)
			e.String(c.path)
			e.Int32(typ)
			return e.Frame()
		})
		s.reg.removed(c)
	}
	return true
}

func notWatching(path string, err error) zk.Event {
	return zk.Event{Type: zk.EventNotWatching, State: zk.StateDisconnected, Path: path, Err: err}
}
