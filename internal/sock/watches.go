package sock

import (
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

// registry is a session's one-shot watches: the server holds one watch per
// path and kind for the session, and its one event fires every local
// watcher of that path and kind. The registry outlives connections: each
// new connection of the session sets it again on the server (see
// Set.rearm). It ends with the session.
type registry struct {
	mu    sync.Mutex
	ws    map[watchKey][]chan zk.Event
	ended error // the session's end; later watchers get it at once
}

// add registers a watcher and returns its channel, which receives one
// event and is closed.
func (r *registry) add(k watchKey) <-chan zk.Event {
	ch := make(chan zk.Event, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended != nil {
		ch <- notWatching(k.path, r.ended)
		close(ch)
		return ch
	}
	if r.ws == nil {
		r.ws = map[watchKey][]chan zk.Event{}
	}
	r.ws[k] = append(r.ws[k], ch)
	return ch
}

// fire delivers a notification to the watchers it ends.
func (r *registry) fire(ev wire.Event) {
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
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range kinds {
		key := watchKey{ev.Path, k}
		for _, ch := range r.ws[key] {
			ch <- e
			close(ch)
		}
		delete(r.ws, key)
	}
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

// end ends every watch with err: the session is over.
func (r *registry) end(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended != nil {
		return
	}
	r.ended = err
	for k, chs := range r.ws {
		for _, ch := range chs {
			ch <- notWatching(k.path, err)
			close(ch)
		}
	}
	r.ws = nil
}

// Watches returns how many local watchers are registered.
func (s *Set) Watches() int {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	n := 0
	for _, chs := range s.reg.ws {
		n += len(chs)
	}
	return n
}

func notWatching(path string, err error) zk.Event {
	return zk.Event{Type: zk.EventNotWatching, State: zk.StateDisconnected, Path: path, Err: err}
}
