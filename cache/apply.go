package cache

import (
	"slices"
	"time"

	"github.com/go-zookeeper/zk"
)

// applyData records a node's data and stat read from the server. Replies
// are ordered by mzxid: every change of a path, including its deletion and
// recreation, gives it a larger mzxid, so a reply that is not newer than
// what the cache holds is never applied (a late reply cannot bring back an
// older value).
func (e *engine) applyData(n *node, data []byte, st *zk.Stat, tag uint32) {
	n.absent = false
	old := n.entry
	if old == nil || st.Mzxid > old.Stat.Mzxid {
		if e.o.statOnly && n.parent != nil {
			data = nil
		}
		n.entry = &Entry{Path: n.path, Data: data, Stat: *st}
		ev := Event{Kind: Created, Path: n.path, New: n.entry, At: time.Now()}
		if old != nil {
			ev.Kind, ev.Old = Changed, old
		} else {
			e.size++
		}
		e.emit(ev)
	}
	if n.atMaxDepth(e.o.maxDepth) {
		n.relist = false
		return
	}
	if e.persistent {
		e.listIfNeeded(n, st, tag)
		return
	}
	// A new incarnation of the node (created, or deleted and recreated
	// since the last read) has other children: list them again; so does
	// a node a listing found missing while it was there.
	if n.relist || old == nil && !n.born && !n.list.busy && !n.list.armed || old != nil && old.Stat.Czxid != st.Czxid {
		n.relist = false
		e.refresh(n, true, tag)
	}
}

// applyList brings a node's children in line with a listing: children
// not listed leave the cache, new ones are read.
func (e *engine) applyList(n *node, names []string, st *zk.Stat, tag uint32) {
	// (Listings of a node are never concurrent: each is newer than the
	// last, and those of an older session are dropped before this.)
	listed := make(map[string]struct{}, len(names))
	for _, name := range names {
		listed[name] = struct{}{}
	}
	var kept []*node
	for _, k := range n.kids.all() {
		_, ok := listed[base(k.path)]
		// A child not listed but created after this listing was read
		// (its creation would have set the parent's pzxid to its czxid):
		// the listing is older than the child's data read, not a deletion.
		if ok || k.entry != nil && k.entry.Stat.Czxid > st.Pzxid {
			kept = append(kept, k)
			continue
		}
		e.drop(k)
	}
	var added []*node
	for _, name := range names {
		if _, ok := slices.BinarySearchFunc(kept, name, compareKid); ok { // kept is sorted
			continue
		}
		p := join(n.path, name)
		if e.o.filter != nil && !e.o.filter(p) {
			continue
		}
		added = append(added, &node{path: p, depth: n.depth + 1, parent: n}) // the name within the path: the listing can go
	}
	n.setKids(kept, added)
	for _, k := range added {
		e.refresh(k, false, tag)
		if !k.atMaxDepth(e.o.maxDepth) && !e.persistent { // (persistent: its data read says whether it has children)
			e.refresh(k, true, tag)
		}
	}
}

// gone handles a read that found no node: the node and everything below
// it leave the cache. The root stays, absent, with an exists watch for
// its return.
func (e *engine) gone(n *node, tag uint32) {
	if n.parent != nil {
		e.remove(n)
		return
	}
	e.dropKids(n)
	n.absent = true
	if old := n.entry; old != nil {
		n.entry = nil
		e.size--
		e.emit(Event{Kind: Deleted, Path: n.path, Old: old, At: time.Now()})
	}
	if !n.data.armed && !e.persistent { // (a persistent watch sees it come back)
		e.refresh(n, false, tag)
	}
}

// remove takes n and its subtree out of the cache, deepest nodes first.
func (e *engine) remove(n *node) {
	e.drop(n)
	n.parent.delKid(n)
}

// dropKids takes n's children and their subtrees out of the cache.
func (e *engine) dropKids(n *node) {
	for _, k := range n.kids.all() {
		e.drop(k)
	}
	n.kids = nil
}

// drop is remove but leaves n in its parent's list of children, for a
// caller that rebuilds or clears it.
func (e *engine) drop(n *node) {
	e.dropKids(n)
	n.removed = true
	for _, s := range []*slot{&n.data, &n.list} {
		s.release() // most fired with the deletion; one that did not has no use
		if s.dirty {
			e.answered(s.dirtyTag)
			s.dirty, s.dirtyTag = false, 0
		}
	}
	if old := n.entry; old != nil {
		n.entry = nil
		e.size--
		e.emit(Event{Kind: Deleted, Path: n.path, Old: old, At: time.Now()})
	}
}

// loaded ends a load: every read of the current epoch was answered.
func (e *engine) loaded() {
	if e.broken || !e.connected {
		return // a resync will follow
	}
	e.stale = false
	e.since = time.Time{}
	kind := Reinitialized
	e.obs.Synced(e.inited)
	if !e.inited {
		kind = Initialized
		e.inited = true
		close(e.initCh)
	}
	e.emit(Event{Kind: kind, Path: e.root.path, At: time.Now()})
}

// resync reads every node again (a new load), after a reconnection or in
// a new session.
func (e *engine) resync() {
	e.nextEpoch()
	e.pending, e.broken = 0, false
	e.walkNodes(e.root, func(n *node) {
		n.born = false // its children are listed again if it has any
		e.refresh(n, false, e.epoch)
		if !n.atMaxDepth(e.o.maxDepth) && !n.absent && !e.persistent {
			e.refresh(n, true, e.epoch)
		}
	})
}

func (e *engine) walkNodes(n *node, fn func(*node)) {
	fn(n)
	for _, k := range n.kids.all() {
		e.walkNodes(k, fn)
	}
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func base(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
