package cache

import (
	"reflect"
	"sync"

	"github.com/go-zookeeper/zk"
)

// groupSize is how many watch channels one goroutine waits on. A goroutine
// per watch would cost a few kilobytes of stack per cached node; a group
// costs one goroutine per groupSize watches and a select over them.
const groupSize = 64

// watchMux waits for the events of every watch the cache set and posts
// them to the loop, from a few goroutines that each wait on up to
// groupSize channels.
type watchMux struct {
	e      *engine
	mu     sync.Mutex
	groups []*watchGroup
	last   *watchGroup // the group added to last: usually still has room
}

type watchGroup struct {
	wake chan struct{}
	mu   sync.Mutex
	adds []pendingWatch
	size int // watches added and not fired yet (under watchMux.mu)
}

type pendingWatch struct {
	ch <-chan zk.Event
	w  watcher
}

// watcher is whose watch a channel is.
type watcher struct {
	n    *node
	list bool
	gen  uint64
}

// watch waits for one event on ch, for node n.
func (e *engine) watch(n *node, list bool, ch <-chan zk.Event) {
	e.mux.add(pendingWatch{ch: ch, w: watcher{n: n, list: list, gen: e.gen}})
}

func (m *watchMux) add(w pendingWatch) {
	m.mu.Lock()
	g := m.last
	if g == nil || g.size >= groupSize {
		g = nil
		for _, x := range m.groups {
			if x.size < groupSize {
				g = x
				break
			}
		}
	}
	if g == nil {
		g = &watchGroup{wake: make(chan struct{}, 1)}
		m.groups = append(m.groups, g)
		m.e.wg.Go(func() { m.run(g) })
	}
	g.size++
	m.last = g
	m.mu.Unlock()
	g.mu.Lock()
	g.adds = append(g.adds, w)
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// run is one group's goroutine: it ends with the cache.
func (m *watchMux) run(g *watchGroup) {
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(m.e.ctx.Done())},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(g.wake)},
	}
	var waiting []watcher // waiting[i] belongs to cases[i+2]
	for {
		i, v, ok := reflect.Select(cases)
		switch i {
		case 0:
			return
		case 1:
			g.mu.Lock()
			for _, w := range g.adds {
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(w.ch)})
				waiting = append(waiting, w.w)
			}
			g.adds = nil
			g.mu.Unlock()
			continue
		}
		w := waiting[i-2]
		f := fired{n: w.n, list: w.list, gen: w.gen, ev: zk.Event{Type: zk.EventNotWatching}}
		if ok {
			f.ev = v.Interface().(zk.Event)
		}
		last := len(cases) - 1
		cases[i], cases[last] = cases[last], reflect.SelectCase{}
		cases = cases[:last]
		waiting[i-2], waiting[last-2] = waiting[last-2], watcher{}
		waiting = waiting[:last-2]
		m.mu.Lock()
		g.size--
		m.mu.Unlock()
		m.e.in.post(f)
	}
}
