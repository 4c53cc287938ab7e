package cache

import (
	"errors"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"github.com/zkrecipes/zkrecipes/internal/sock"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// The persistent backend follows the tree with one persistent recursive
// watch on the root (ZooKeeper 3.6+) instead of a watch per node. The
// watch lives for one connection (see sock.Set.AddWatch): after every new
// connection the cache sets it again and reads the whole tree, because the
// server replays nothing for it. Its reads go through the watch, so their
// replies reach the loop between its events in the order the server sent
// them: a listing holds exactly the children created before it, and every
// later creation or deletion is an event after it. A data change costs one
// read; a creation one read (its children arrive as events of their own);
// a deletion none.
//
// A server without addWatch (3.5) answers it as unimplemented and drops
// the connection (the session lives on); the cache then uses one-shot
// watches for the rest of its life.

// pwatch is one persistent watch of the cache, from the moment it is
// asked for: its notices name it, so those of an earlier one are ignored.
type pwatch struct {
	w     *sock.Persistent    // nil until AddWatch returned
	abs   func(string) string // the server's path of a cache path
	armed bool                // the Armed notice came
	reqs  map[uint64]request  // reads sent through it awaiting replies, by tag
}

// pnote is a notice of persistent watch pw, and pstarted the end of its
// AddWatch.
type pnote struct {
	pw *pwatch
	n  sock.Notice
}

type pstarted struct {
	pw  *pwatch
	w   *sock.Persistent
	abs func(string) string
	err error
}

// errWatchGone fails the reads of a persistent watch that ended: the
// cache sets a new one and reads everything again.
var errWatchGone = errors.New("cache: persistent watch ended")

// load reads every node again, after setting a persistent watch first in
// the persistent backend.
func (e *engine) load() {
	if !e.persistent {
		e.resync()
		return
	}
	if e.pw == nil {
		e.arm()
	} else if e.pw.ready() { // else being set: when ready, it starts the load
		e.resync()
	}
}

// ready reports whether pw is set on the server and its reads can go out
// (its AddWatch returned): both its Armed notice and the return are in.
func (pw *pwatch) ready() bool { return pw != nil && pw.armed && pw.w != nil }

// dropWatch takes the persistent watch back, here and on the server,
// when its session ended (newSession, before the watch's Ended notice,
// which is then ignored as no longer the cache's) or the cache closed.
// The reads it still had out are never answered: each lets go of its
// node's slot and of its place among WithMaxInFlight, or else the slot
// stayed busy, so that no later read of the node was sent (the new
// session's resync would never read it again). Nothing else of them
// counts: the new session reads every node again, in a load of its own.
func (e *engine) dropWatch() {
	pw := e.pw
	if pw == nil {
		return
	}
	e.pw = nil
	if pw.w != nil {
		pw.w.Remove()
	}
	for tag, r := range pw.reqs {
		delete(pw.reqs, tag)
		e.inflight--
		s := r.n.slotOf(r.op == opChildren)
		s.busy, s.fired, s.dirty, s.dirtyTag = false, false, false, 0
	}
}

// arm asks for a persistent watch on the root in the current session.
func (e *engine) arm() {
	pw := &pwatch{reqs: map[uint64]request{}}
	e.pw = pw
	sess, in, root := e.sess, &e.in, e.root.path
	e.wg.Go(func() {
		w, abs, err := seam.WatchTree(e.ctx, sess, root, func(n sock.Notice) { in.post(pnote{pw, n}) })
		in.post(pstarted{pw: pw, w: w, abs: abs, err: err})
	})
}

func (e *engine) onStarted(m pstarted) {
	pw := m.pw
	if pw != e.pw {
		if m.w != nil {
			m.w.Remove()
		}
		return
	}
	if m.err != nil {
		// Sent and answered, it ended with a notice (handled there);
		// otherwise nothing was sent (Close, or the session ended: the
		// next one loads again).
		if errors.Is(m.err, sock.ErrUnimplemented) {
			e.fallBack(m.err)
		} else {
			e.pw = nil
		}
		return
	}
	pw.w, pw.abs = m.w, m.abs
	if pw.ready() {
		e.resync()
	}
}

func (e *engine) onNotice(m pnote) {
	pw := m.pw
	if pw != e.pw {
		return
	}
	switch n := m.n; n.Kind {
	case sock.Armed:
		pw.armed = true
		if pw.ready() {
			e.resync()
		}
	case sock.Changed:
		e.onTreeEvent(n.Event)
	case sock.Replied:
		r, ok := pw.reqs[n.Tag]
		if !ok {
			return
		}
		delete(pw.reqs, n.Tag)
		e.onReply(persistReply(r, n))
	case sock.Ended:
		e.pw = nil
		for tag, r := range pw.reqs {
			delete(pw.reqs, tag)
			e.onReply(reply{request: r, err: errWatchGone})
		}
		switch {
		case errors.Is(n.Err, sock.ErrWatchRemoved), e.ctx.Err() != nil:
		case errors.Is(n.Err, zk.ErrConnectionClosed):
			if e.sess.Err() == nil {
				e.arm() // it waits for the next connection
			}
		case errors.Is(n.Err, zkrecipes.ErrSessionLost), e.sess.Err() != nil:
			// the next session loads again
		default:
			e.fallBack(n.Err)
		}
	}
}

// fallBack moves the cache to one-shot watches for good: the server
// cannot set the persistent watch (it has no addWatch, or refused it).
func (e *engine) fallBack(err error) {
	e.log.Info("cache: persistent watches unavailable; using one-shot watches", "path", e.root.path, "err", err)
	e.persistent, e.pw = false, nil
	e.broken = false
	e.resync()
}

// persistReply turns a read's notice into the reply the loop applies.
func persistReply(r request, n sock.Notice) reply {
	a := reply{request: r, err: n.Err}
	switch r.op {
	case opExists:
		if errors.Is(n.Err, zk.ErrNoNode) {
			a.err = nil
			return a
		}
		a.exists, a.stat = n.Err == nil, n.Reply.Stat
	case opGet:
		a.exists, a.data, a.stat = n.Err == nil, n.Reply.Data, n.Reply.Stat
	default:
		a.names, a.stat = n.Reply.Children, n.Reply.Stat
	}
	return a
}

// sendPersistent sends reads through the persistent watch, in one write.
func (e *engine) sendPersistent(rs []request) {
	pw := e.pw
	reqs := make([]sock.ReadReq, len(rs))
	for i, r := range rs {
		e.tags++
		op := wire.OpGetData
		switch r.op {
		case opExists:
			op = wire.OpExists
		case opChildren:
			op = wire.OpGetChildren2
		}
		reqs[i] = sock.ReadReq{Op: op, Path: pw.abs(r.n.path), Tag: e.tags}
		pw.reqs[e.tags] = r
	}
	e.inflight += len(rs)
	if err := pw.w.Read(reqs...); err != nil {
		for i, r := range rs {
			delete(pw.reqs, reqs[i].Tag)
			e.in.post(reply{request: r, err: errWatchGone}) // its Ended notice follows
		}
	}
}

// onTreeEvent applies an event of the persistent watch: in stream order,
// it is a change after every reply before it.
func (e *engine) onTreeEvent(ev zk.Event) {
	n, parent := e.locate(ev.Path)
	switch ev.Type {
	case zk.EventNodeCreated:
		switch {
		case n != nil:
			if n.parent == nil {
				n.absent = false
			}
			e.refresh(n, false, 0)
		case parent != nil && !parent.atMaxDepth(e.o.maxDepth) && (e.o.filter == nil || e.o.filter(ev.Path)):
			// Its children are created after it: each comes as an event.
			k := &node{path: ev.Path, depth: parent.depth + 1, parent: parent, born: true}
			parent.addKid(k)
			e.refresh(k, false, 0)
		}
	case zk.EventNodeDeleted:
		if n != nil {
			e.gone(n, 0)
		}
	case zk.EventNodeDataChanged:
		if n != nil {
			e.refresh(n, false, 0)
		}
	}
}

// locate finds the node of path p in the cache, or its parent's node
// when p's own is not there (either nil).
func (e *engine) locate(p string) (n, parent *node) {
	if n = e.lookup(p); n != nil || p == e.root.path {
		return n, nil
	}
	i := strings.LastIndexByte(p, '/')
	dir := p[:max(i, 1)]
	return nil, e.lookup(dir)
}

// listIfNeeded decides, in the persistent backend, from the data read of
// n (a node above the depth limit) whether to list it: only in a load
// (tag set), and only when it has children. The read is in stream order
// with the watch's events, so a node without children then has none in
// the cache either (what it had before the watch was set is dropped
// here), and every child created later comes as an event. A node created
// under the watch gets its children as events alone.
func (e *engine) listIfNeeded(n *node, st *zk.Stat, tag uint32) {
	n.relist = false
	if tag == 0 || n.born {
		return
	}
	if st.NumChildren == 0 {
		e.dropKids(n)
		return
	}
	e.refresh(n, true, tag)
}
