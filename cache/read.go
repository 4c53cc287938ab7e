package cache

import (
	"strings"
	"time"
)

// lookup finds the node at p; called with mu held.
func (e *engine) lookup(p string) *node {
	n := e.root
	if p == n.path {
		return n
	}
	rest, ok := strings.CutPrefix(p, n.path)
	if n.path == "/" {
		rest, ok = p, strings.HasPrefix(p, "/")
	}
	if !ok || !strings.HasPrefix(rest, "/") {
		return nil
	}
	for name := range strings.SplitSeq(rest[1:], "/") {
		if n = n.kids.get(name); n == nil {
			return nil
		}
	}
	return n
}

func (e *engine) get(p string) (*Entry, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if n := e.lookup(p); n != nil && n.entry != nil {
		return n.entry, true
	}
	return nil, false
}

// children returns the cached children of p, sorted by name.
func (e *engine) children(p string) []*Entry {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := e.lookup(p)
	if n == nil {
		return nil
	}
	return kidEntries(n)
}

func kidEntries(n *node) []*Entry {
	var out []*Entry
	for _, k := range n.kids.all() { // sorted by name
		if k.entry != nil {
			out = append(out, k.entry)
		}
	}
	return out
}

// snapshot returns every cached entry at one instant, parents before
// their children and siblings by name.
func (e *engine) snapshot() []*Entry {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []*Entry
	var walk func(n *node)
	walk = func(n *node) {
		if n.entry == nil {
			return
		}
		out = append(out, n.entry)
		for _, k := range n.kids.all() {
			walk(k)
		}
	}
	walk(e.root)
	return out
}

func (e *engine) staleSince() (bool, time.Time) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.stale, e.since
}
