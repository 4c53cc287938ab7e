package cache

import (
	"errors"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

type op int

const (
	opGet op = iota
	opExists
	opChildren
)

// request is one read of a node, and reply its answer.
type request struct {
	n     *node
	op    op
	watch bool
	gen   uint64
	sess  *zkrecipes.Session
	sink  *watchSink
	tag   uint32
}

type reply struct {
	request
	data   []byte
	stat   *zk.Stat
	names  []string
	exists bool
	watch  *zkrecipes.Watch // set by the read, or nil
	err    error
}

// nextEpoch starts a load: its reads are tagged with the new epoch,
// never 0 (the tag of watch-triggered reads), also when it wraps.
func (e *engine) nextEpoch() {
	e.epoch++
	if e.epoch == 0 {
		e.epoch = 1
	}
}

// counted reports whether a read tagged tag belongs to the current load.
func (e *engine) counted(tag uint32) bool { return tag != 0 && tag == e.epoch }

// answered accounts for a read of load tag that is over.
func (e *engine) answered(tag uint32) {
	if e.counted(tag) {
		e.pending--
		if e.pending == 0 {
			e.loaded()
		}
	}
}

// refresh asks for a read of n (its data, or with list its children),
// tagged with the load it belongs to (0: a watch fired).
func (e *engine) refresh(n *node, list bool, tag uint32) {
	s := n.slotOf(list)
	if n.removed {
		return
	}
	if e.counted(tag) && !(s.busy && s.dirty && s.dirtyTag == tag) {
		e.pending++
	}
	if s.busy {
		s.dirty = true
		if tag != 0 {
			s.dirtyTag = tag
		}
		return
	}
	s.busy, s.tag = true, tag
	e.queue = append(e.queue, request{n: n, op: e.opFor(n, list), gen: e.gen, sess: e.sess, sink: e.sink, tag: tag})
}

func (n *node) slotOf(list bool) *slot {
	if list {
		return &n.list
	}
	return &n.data
}

// opFor chooses the read: children, exists when there are no data to
// read (a stats-only node, an absent root), getData otherwise.
func (e *engine) opFor(n *node, list bool) op {
	switch {
	case list:
		return opChildren
	case n.parent == nil && n.absent, n.parent != nil && e.o.statOnly:
		return opExists
	}
	return opGet
}

// spawn starts queued reads while fewer than maxInFlight are outstanding.
func (e *engine) spawn() {
	if e.syncing || e.persistent && !e.pw.ready() {
		return
	}
	var batch []request // the persistent backend's, sent in one write
	defer func() {
		if len(batch) > 0 {
			e.sendPersistent(batch)
		}
	}()
	for len(e.queue) > 0 && e.inflight+len(batch) < e.o.maxInFlight {
		r := e.queue[0]
		e.queue[0] = request{}
		e.queue = e.queue[1:]
		s := r.n.slotOf(r.op == opChildren)
		r.watch = !s.armed && r.gen == e.gen
		if r.n.removed || r.gen != e.gen {
			// Not worth sending: the reply would be ignored.
			e.inflight++
			e.in.post(reply{request: r, err: errStale})
			continue
		}
		if e.persistent {
			r.watch = false
			batch = append(batch, r)
			continue
		}
		e.inflight++
		e.wg.Go(func() { e.in.post(e.run(r)) })
	}
	if len(e.queue) == 0 {
		e.queue = nil // a load queues a read per node: let its array go
	}
}

var errStale = errors.New("cache: read no longer needed")

// run sends one read in the request's session.
func (e *engine) run(r request) reply {
	a := reply{request: r}
	o, p := r.sess.Ops, r.n.path
	var fire func(zk.Event)
	switch {
	case !r.watch:
	case r.op == opChildren:
		fire = r.sink.listFn(r.n)
	default:
		fire = r.sink.dataFn(r.n)
	}
	switch {
	case r.op == opGet && r.watch:
		a.data, a.stat, a.watch, a.err = o.GetWatch(e.ctx, p, fire)
	case r.op == opGet:
		a.data, a.stat, a.err = o.Get(e.ctx, p)
	case r.op == opExists && r.watch:
		a.exists, a.stat, a.watch, a.err = o.ExistsWatch(e.ctx, p, fire)
	case r.op == opExists:
		a.exists, a.stat, a.err = o.Exists(e.ctx, p)
	case r.watch:
		a.names, a.stat, a.watch, a.err = o.ChildrenWatch(e.ctx, p, fire)
	default:
		a.names, a.stat, a.err = o.Children(e.ctx, p)
	}
	if a.op == opGet && a.err == nil {
		a.exists = true
	}
	return a
}

// onReply applies one read's answer, then sends the follow-up read if a
// refresh was asked for while it was outstanding.
func (e *engine) onReply(r reply) {
	e.inflight--
	list := r.op == opChildren
	s := r.n.slotOf(list)
	firedEarly := s.fired
	s.busy, s.fired = false, false
	defer e.followUp(r.n, list)
	defer e.answered(r.tag)
	if r.gen != e.gen || r.n.removed {
		r.watch.Remove()
		return // a new session reads everything again; a removed node is gone
	}
	absentKid := r.n.parent != nil && r.err == nil && r.op == opExists && !r.exists
	switch {
	case r.watch == nil:
	case absentKid: // its exists watch would only wait for its name's return
		r.watch.Remove()
	case firedEarly:
		// It fired before this reply got here: its event, already
		// handled, reads the node again with a new watch.
	default:
		s.arm(r.watch)
	}
	switch {
	case list && errors.Is(r.err, zk.ErrNoNode):
		// Only a data read decides that a node is gone: this listing may
		// have been answered before a data read already applied (replies
		// of different reads reach the loop in any order), whose node
		// then needs listing again.
		r.n.relist = true
		e.refresh(r.n, false, r.tag)
	case errors.Is(r.err, zk.ErrNoNode), r.err == nil && r.op == opExists && !r.exists:
		e.gone(r.n, r.tag)
	case r.err != nil:
		if errors.Is(r.err, zkrecipes.ErrSessionLost) || errors.Is(r.err, zkrecipes.ErrClosed) || errors.Is(r.err, errWatchGone) || e.ctx.Err() != nil {
			e.broken = true // the load is incomplete; the next session's resync completes it
			return
		}
		e.log.Warn("cache: read failed; the node is left as it was", "path", r.n.path, "err", r.err)
	case list:
		e.applyList(r.n, r.names, r.stat, r.tag)
	case r.op == opExists && r.n.parent == nil:
		// The root appeared; its data come with the follow-up getData.
		r.n.absent = false
		e.refresh(r.n, false, r.tag)
	default:
		e.applyData(r.n, r.data, r.stat, r.tag)
	}
}

// followUp sends the read folded into the one that just ended.
func (e *engine) followUp(n *node, list bool) {
	s := n.slotOf(list)
	if !s.dirty || s.busy {
		return
	}
	tag := s.dirtyTag
	s.dirty, s.dirtyTag = false, 0
	if n.removed {
		e.answered(tag)
		return
	}
	s.busy, s.tag = true, tag
	e.queue = append(e.queue, request{n: n, op: e.opFor(n, list), gen: e.gen, sess: e.sess, sink: e.sink, tag: tag})
}

// onFired reacts to a watch event: it says only that something changed,
// so the node is read again.
func (e *engine) onFired(f fired) {
	if f.gen != e.gen || f.n.removed {
		return
	}
	if errors.Is(f.ev.Err, zkrecipes.ErrWatchRemoved) {
		return // the cache took it back
	}
	s := f.n.slotOf(f.list)
	s.disarm()
	// The read outstanding, if any, may have set the watch that fired:
	// its reply must not arm it (replies and events of one slot reach
	// the loop in the order they were posted, and a watch's event is
	// posted after its read registered it).
	s.fired = s.busy
	if f.ev.Type == zk.EventNotWatching && (!e.connected || e.sess.Err() != nil) {
		return // the session ended: the next one reads everything again
	}
	// A change, or a watch the client ended in a live session: read again
	// (with a new watch).
	e.refresh(f.n, f.list, 0)
}
