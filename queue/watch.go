package queue

import (
	"context"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam"
)

// watches keeps at most one armed ZooKeeper watch per node and kind, shared
// by every goroutine of a Queue. go-zookeeper adds a channel per watching
// call and drops them only when the watch fires, so arming a watch on a
// quiet node at every wait would pile them up; here a second waiter reuses
// the armed one, and a child listing is answered from the cache while its
// watch is armed (ZooKeeper delivers the event before any later read can
// see the change).
type watches struct {
	c  *zkrecipes.Client
	mu sync.Mutex
	m  map[watchKey]*armed
}

type watchKey struct {
	children bool
	path     string
}

// armed is one outstanding watch. fired closes when it fires, when the
// session ends (go-zookeeper then reports EventNotWatching) or when the
// client closes.
type armed struct {
	fired    chan struct{}
	children []string
	stat     *zk.Stat
}

func newWatches(c *zkrecipes.Client) *watches {
	return &watches{c: c, m: map[watchKey]*armed{}}
}

// children returns the children of p and a channel that closes when they
// change. It errors with zk.ErrNoNode if p does not exist.
func (w *watches) children(ctx context.Context, p string) ([]string, *zk.Stat, <-chan struct{}, error) {
	key := watchKey{true, p}
	if a := w.live(key); a != nil {
		return a.children, a.stat, a.fired, nil
	}
	names, st, ch, err := w.c.ChildrenW(ctx, p)
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := w.arm(key, ch, names, st)
	if err != nil {
		return nil, nil, nil, err
	}
	return names, st, a.fired, nil
}

// fresh is children that always reads the current children (a cached
// listing may miss changes whose watch event is still on its way), and
// adds a watch only if none is armed.
func (w *watches) fresh(ctx context.Context, p string) ([]string, *zk.Stat, <-chan struct{}, error) {
	if a := w.live(watchKey{true, p}); a != nil {
		names, st, err := w.c.Children(ctx, p)
		return names, st, a.fired, err
	}
	return w.children(ctx, p)
}

// node returns a channel that closes when p is created, changed or deleted.
func (w *watches) node(ctx context.Context, p string) (<-chan struct{}, error) {
	key := watchKey{false, p}
	if a := w.live(key); a != nil {
		return a.fired, nil
	}
	_, _, ch, err := w.c.ExistsW(ctx, p)
	if err != nil {
		return nil, err
	}
	a, err := w.arm(key, ch, nil, nil)
	if err != nil {
		return nil, err
	}
	return a.fired, nil
}

func (w *watches) live(key watchKey) *armed {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.m[key]
	if a == nil {
		return nil
	}
	select {
	case <-a.fired:
		return nil
	default:
		return a
	}
}

// arm records a fresh watch channel from go-zookeeper and starts the
// client-owned goroutine that turns its one event into a closed channel.
func (w *watches) arm(key watchKey, ch <-chan zk.Event, names []string, st *zk.Stat) (*armed, error) {
	a := &armed{fired: make(chan struct{}), children: names, stat: st}
	w.mu.Lock()
	w.m[key] = a
	w.mu.Unlock()
	ok := seam.Go(w.c, func(life context.Context) {
		select {
		case <-ch:
		case <-life.Done():
		}
		w.mu.Lock()
		if w.m[key] == a {
			delete(w.m, key)
		}
		close(a.fired)
		w.mu.Unlock()
	})
	if !ok {
		w.mu.Lock()
		if w.m[key] == a {
			delete(w.m, key)
		}
		w.mu.Unlock()
		return nil, zkrecipes.ErrClosed
	}
	return a, nil
}
