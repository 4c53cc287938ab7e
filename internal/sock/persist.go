package sock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// Persistent recursive watches (addWatch, ZooKeeper 3.6+) are kept per
// connection, not per session: go-zookeeper's setWatches cannot carry
// them and the server replays nothing for them, so whoever uses one sets
// it again on the next connection and reads everything again after its
// Armed notice. Reads sent through the watch (Persistent.Read) go to its
// connection only, and their replies reach the watch's function in the
// stream's order, between its events: applied in that order they give the
// server's state exactly, with no zxid comparisons.
//
// ZooKeeper 3.6-3.8 keeps one watch mode per path and connection
// (ZOOKEEPER-4466): a one-shot watch set on the path of a recursive one
// would silently turn it into a one-shot watch, and removing a one-shot
// data or child watch there would remove half of it (ZOOKEEPER-4471). So
// while a recursive watch is set on a path, one-shot watching reads of
// that path go without the watch flag and their watchers are fired by the
// recursive watch's events (a child watch by a child's creation or
// deletion: recursive watches get no child events), and nothing removes
// one-shot watches of that path on the server. When the last recursive
// watch of the path goes, one removeWatches drops it and one setWatches
// sets the path's one-shot watches again, both written under the
// connection's write lock so that no read of the path comes between.

// ErrUnimplemented is the server's answer to a request it does not know:
// a ZooKeeper before 3.6 to addWatch. Such a server also closes the
// connection (the session lives on); the Set then sends no more.
var ErrUnimplemented = errors.New("zk: request not implemented by the server")

// errWatchEnded is the error of a Read on a watch that has ended.
var errWatchEnded = errors.New("persistent watch ended")

// NoticeKind says what a Notice brings.
type NoticeKind uint8

const (
	Armed   NoticeKind = iota + 1 // the server set the watch: read what it covers now
	Changed                       // an event under the watched path (Event)
	Replied                       // the reply of a Read (Tag, Reply or Err)
	Ended                         // the watch is over (Err); nothing follows
)

// A Notice is what a persistent watch's function gets, in the order the
// server sent it.
type Notice struct {
	Kind  NoticeKind
	Event zk.Event
	Tag   uint64
	Reply Reply
	Err   error
}

// Reply is the decoded answer to a Read.
type Reply struct {
	Op       int32
	Data     []byte
	Stat     *zk.Stat
	Children []string
}

// A Persistent is one persistent recursive watch.
type Persistent struct {
	set  *Set
	c    *conn
	path string
	fn   func(Notice)

	mu    sync.Mutex // serialises deliveries; guards armed and done
	armed bool
	done  bool
}

// pwatch is the server's recursive watch of one path on one connection,
// shared by the local watches of that path.
type pwatch struct {
	c      *conn
	ws     []*Persistent // set or being set; the server's watch is kept while any is
	server bool          // the server has the recursive mode, as of the frame being read
}

// AddWatch sets a persistent recursive watch on path on the current
// connection and returns once the server answered. fn then gets, on the
// connection's reading goroutine and in the stream's order, Armed, the
// watch's events and the replies of its Reads, until Ended: on Remove, on
// the connection's end (ErrConnectionClosed) or the session's. It must
// return at once and never call the client. A failed AddWatch returns
// its error; fn has then got Ended with it, or gets nothing at all if ctx
// was done before anything was sent.
func (s *Set) AddWatch(ctx context.Context, path string, fn func(Notice)) (*Persistent, error) {
	if s.noPersist.Load() {
		return nil, ErrUnimplemented
	}
	p := &Persistent{set: s, path: path, fn: fn}
	r := &s.reg
	keys := []watchKey{{path, kindData}, {path, kindChild}}
	for _, k := range keys { // after any removal of the path's one-shot watches
		r.begin(k)
	}
	defer func() {
		for _, k := range keys {
			r.end(k)
		}
	}()
	_, sent, err := s.sendOn(ctx, func(xid int32, c *conn) []byte {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.ended != nil {
			return nil // the reply will not come: the call fails with the session
		}
		p.c = c
		r.join(p)
		e := wire.NewRequest(xid, wire.OpAddWatch)
		e.String(path)
		e.Int32(1) // PERSISTENT_RECURSIVE
		return e.Frame()
	}, func(rep wire.Reply) {
		if err := replyErr(rep); err != nil {
			// Said here, in stream order: a server that does not know
			// addWatch closes the connection right after, and the watch
			// must end with this error, not with the connection's.
			if errors.Is(err, ErrUnimplemented) {
				s.noPersist.Store(true)
			}
			p.deliver(Notice{Kind: Ended, Err: err}, nil)
			return // the caller releases it (end)
		}
		r.mu.Lock()
		if pw := r.persist[path]; pw != nil && pw.c == p.c {
			pw.server = true
		}
		r.mu.Unlock()
		p.deliver(Notice{Kind: Armed}, func() { p.armed = true })
	})
	if err != nil {
		if sent {
			p.end(err)
		}
		return nil, err
	}
	return p, nil
}

// Path returns the watched path.
func (p *Persistent) Path() string { return p.path }

// ReadReq is one read to send through a persistent watch.
type ReadReq struct {
	Op   int32 // wire.OpGetData, OpExists or OpGetChildren2
	Path string
	Tag  uint64
}

// Read sends reads (without watches) on the watch's connection, in one
// write; the reply of each reaches the watch's function as a Replied
// notice with its tag, in the stream's order. It fails, sending nothing,
// once the watch has ended; reads whose connection ends before their
// replies get no notice (Ended follows).
func (p *Persistent) Read(reqs ...ReadReq) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done || len(reqs) == 0 {
		if done {
			return errWatchEnded
		}
		return nil
	}
	// Data reads go in multiReads: the server's cost is per request, and
	// a burst of creations (a fleet registering) costs one each. A
	// multiRead is answered at one point of the stream, like the reads
	// it holds, each in the state after the events before it.
	var gets, others []ReadReq
	for _, rq := range reqs {
		if rq.Op == wire.OpGetData && len(reqs) > 1 {
			gets = append(gets, rq)
		} else {
			others = append(others, rq)
		}
	}
	type frame struct {
		xid   int32
		build func(int32) []byte
	}
	var frames []frame
	s := p.set
	s.mu.Lock()
	if p.c.ended.Load() || s.endErr != nil {
		s.mu.Unlock()
		return errWatchEnded
	}
	for len(gets) > 0 {
		n := min(len(gets), maxMultiRead)
		batch := gets[:n]
		gets = gets[n:]
		if n == 1 {
			others = append(others, batch[0])
			continue
		}
		xid, _ := s.addCallLocked(p.c, p.repliedMulti(batch))
		frames = append(frames, frame{xid, multiReadRequest(batch)})
	}
	for _, rq := range others {
		xid, _ := s.addCallLocked(p.c, p.replied(rq.Op, rq.Tag))
		frames = append(frames, frame{xid, readRequest(rq.Op, rq.Path, false)})
	}
	s.mu.Unlock()
	err := p.c.writeBuilt(func() []byte {
		var out []byte
		for _, f := range frames {
			out = append(out, f.build(f.xid)...)
		}
		return out
	})
	xids := make([]int32, len(frames))
	for i, f := range frames {
		xids[i] = f.xid
	}
	if err != nil {
		for _, xid := range xids {
			s.take(xid)
		}
	}
	return err
}

// replied hands a read's reply to the watch's function.
func (p *Persistent) replied(op int32, tag uint64) func(wire.Reply) {
	return func(rep wire.Reply) {
		n := Notice{Kind: Replied, Tag: tag, Reply: Reply{Op: op}}
		if n.Err = replyErr(rep); n.Err == nil {
			n.Reply, n.Err = decodeRead(op, rep.Body)
		}
		p.deliver(n, nil)
	}
}

// maxMultiRead bounds the reads of one multiRead, so that one reply does
// not hold the connection's other replies back for long.
const maxMultiRead = 128

// multiReadRequest builds a multiRead of getData requests (no watches).
func multiReadRequest(reqs []ReadReq) func(int32) []byte {
	return func(xid int32) []byte {
		e := wire.NewRequest(xid, wire.OpMultiRead)
		for _, rq := range reqs {
			putMultiHeader(e, wire.OpGetData)
			e.String(rq.Path)
			e.Bool(false) // no watch
		}
		putMultiEnd(e)
		return e.Frame()
	}
}

// repliedMulti hands the results of a multiRead of reqs to the watch's
// function, one Replied notice each, in order.
func (p *Persistent) repliedMulti(reqs []ReadReq) func(wire.Reply) {
	return func(rep wire.Reply) {
		err := replyErr(rep)
		d := wire.NewDecoder(rep.Body)
		for _, rq := range reqs {
			n := Notice{Kind: Replied, Tag: rq.Tag, Reply: Reply{Op: rq.Op}, Err: err}
			if err == nil {
				n.Reply, n.Err = decodeMultiResult(d)
				n.Reply.Op = rq.Op
				if d.Err() != nil || errors.Is(n.Err, wire.ErrShort) {
					err = n.Err // the rest cannot be read either
				}
			}
			p.deliver(n, nil)
		}
	}
}

// decodeMultiResult decodes one getData result of a multiRead reply.
func decodeMultiResult(d *wire.Decoder) (Reply, error) {
	typ := d.Int32()
	done := d.Bool()
	code := d.Int32()
	switch {
	case d.Err() != nil:
		return Reply{}, d.Err()
	case done:
		return Reply{}, wire.ErrShort // fewer results than reads
	case typ == -1: // an error result: its code again, as the body
		d.Int32()
		if d.Err() != nil {
			return Reply{}, d.Err()
		}
		return Reply{}, replyErr(wire.Reply{Err: code})
	case typ != wire.OpGetData:
		return Reply{}, fmt.Errorf("%w: multiRead result of type %d", wire.ErrShort, typ)
	}
	return readFrom(wire.OpGetData, d)
}

// decodeRead decodes a read's reply body.
func decodeRead(op int32, body []byte) (Reply, error) {
	return readFrom(op, wire.NewDecoder(body))
}

// readFrom decodes a read's reply from d.
func readFrom(op int32, d *wire.Decoder) (Reply, error) {
	r := Reply{Op: op}
	switch op {
	case wire.OpGetData:
		r.Data = d.Buffer()
	case wire.OpGetChildren2:
		r.Children = d.Strings()
		if r.Children == nil {
			r.Children = []string{}
		}
	}
	r.Stat = decodeStat(d)
	return r, d.Err()
}

// Remove ends the watch: its function gets Ended with ErrWatchRemoved,
// unless it ended already (false). The server's watch is removed with the
// path's last local one.
func (p *Persistent) Remove() bool { return p.end(ErrWatchRemoved) }

// end ends p with err (unless it has ended) and releases it.
func (p *Persistent) end(err error) bool {
	ended := false
	p.deliver(Notice{Kind: Ended, Err: err}, func() { ended = true })
	p.release()
	return ended
}

// release leaves the server's watch to the path's other local watches, or
// removes it. It does nothing for a watch already released.
func (p *Persistent) release() {
	s, r := p.set, &p.set.reg
	if p.c == nil || p.c.ended.Load() {
		r.mu.Lock()
		r.leave(p)
		r.mu.Unlock()
		return
	}
	_ = p.c.writeBuilt(func() []byte {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.leave(p) == nil {
			return nil
		}
		// The path's last watch: drop the server's (set, or still being
		// set), then set the path's one-shot watches again; reads of the
		// path are flagged from here. A change the server made before the
		// removal whose event is still on its way is one after the last
		// zxid read (a reply read after it would have come behind the
		// event), so setWatches fires for it.
		delete(r.persist, p.path)
		e := wire.NewRequest(s.nextXid(), wire.OpRemoveWatches)
		e.String(p.path)
		e.Int32(3) // Any: the recursive watch is in both tables
		frame := e.Frame()
		data, exist, child := r.pathWatches(p.path)
		if len(data)+len(exist)+len(child) > 0 {
			e := wire.NewRequest(s.nextXid(), wire.OpSetWatches)
			e.Int64(s.lastZxid.Load())
			e.Strings(data)
			e.Strings(exist)
			e.Strings(child)
			frame = append(frame, e.Frame()...)
		}
		return frame
	})
}

// deliver gives p the notice n unless p has ended; then runs then (under
// p's lock, before the next notice).
func (p *Persistent) deliver(n Notice, then func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || (n.Kind == Changed && !p.armed) {
		return
	}
	if n.Kind == Ended {
		p.done = true
	}
	if then != nil {
		then()
	}
	p.fn(n)
}

// join adds p to the watches of its path; called with r.mu held.
func (r *registry) join(p *Persistent) {
	if r.persist == nil {
		r.persist = map[string]*pwatch{}
	}
	pw := r.persist[p.path]
	if pw == nil || pw.c != p.c {
		pw = &pwatch{c: p.c}
		r.persist[p.path] = pw
	}
	pw.ws = append(pw.ws, p)
}

// leave takes p out of its path's watches and returns them if p was the
// last on a live connection (the caller then drops the server's watch);
// called with r.mu held.
func (r *registry) leave(p *Persistent) *pwatch {
	pw := r.persist[p.path]
	if pw == nil || pw.c != p.c {
		return nil
	}
	for i, x := range pw.ws {
		if x == p {
			pw.ws = append(pw.ws[:i:i], pw.ws[i+1:]...)
			break
		}
	}
	if len(pw.ws) > 0 {
		return nil
	}
	if pw.c.ended.Load() {
		delete(r.persist, p.path)
		return nil
	}
	return pw
}

// flagWatch reports whether a watching read for k written to c now sets
// the watch flag: not if the path has a recursive watch set or being set
// on c, which serves the watcher (a one-shot watch there would end it).
// The read is then counted as unflagged until unflaggedDone.
func (r *registry) flagWatch(c *conn, k watchKey) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if pw := r.persist[k.path]; pw == nil || pw.c != c || len(pw.ws) == 0 {
		return true
	}
	if r.unflagged == nil {
		r.unflagged = map[watchKey]int{}
	}
	r.unflagged[k]++
	return false
}

// unflaggedDone ends the count of an unflagged read (see flagWatch) once
// its reply was handled or will never be.
func (r *registry) unflaggedDone(k watchKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unflagged[k]--; r.unflagged[k] <= 0 {
		delete(r.unflagged, k)
	}
}

// pathWatches returns the one-shot watches of path to set again, by
// kind, with the reads of it in flight that were sent without the watch
// flag (as data watches: the server fires one at once for a node that is
// gone, which is what an exists read's watcher waits for too). Called
// with r.mu held.
func (r *registry) pathWatches(path string) (data, exist, child []string) {
	if len(r.ws[watchKey{path, kindData}]) > 0 || r.unflagged[watchKey{path, kindData}] > 0 {
		data = []string{path}
	}
	if len(r.ws[watchKey{path, kindExist}]) > 0 {
		exist = []string{path}
	}
	if len(r.ws[watchKey{path, kindChild}]) > 0 || r.unflagged[watchKey{path, kindChild}] > 0 {
		child = []string{path}
	}
	return data, exist, child
}

// firePersistent delivers an event read on c to the recursive watches of
// its path and its ancestors, and fires the one-shot child watchers of
// its parent when that is a recursive watch's path (the server sends no
// child events there). It returns those child watchers, to be fired with
// the others.
func (r *registry) firePersistent(c *conn, e zk.Event) (targets []*Persistent, children []*Watcher) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.persist) == 0 {
		return nil, nil
	}
	for a := e.Path; ; a = parentPath(a) {
		if pw := r.persist[a]; pw != nil && pw.c == c {
			if e.Type != zk.EventNodeChildrenChanged {
				targets = append(targets, pw.ws...)
			}
			if pw.server && a != e.Path && a == parentPath(e.Path) &&
				(e.Type == zk.EventNodeCreated || e.Type == zk.EventNodeDeleted) {
				key := watchKey{a, kindChild}
				children = r.ws[key]
				delete(r.ws, key)
			}
		}
		if a == "/" || a == "" {
			return targets, children
		}
	}
}

// endPersistent ends with err the recursive watches of the connections
// that gone accepts.
func (r *registry) endPersistent(gone func(*conn) bool, err error) {
	r.mu.Lock()
	var ps []*Persistent
	for path, pw := range r.persist {
		if gone(pw.c) {
			ps = append(ps, pw.ws...)
			delete(r.persist, path)
		}
	}
	r.mu.Unlock()
	for _, p := range ps {
		p.deliver(Notice{Kind: Ended, Err: err}, nil)
	}
}

// connected notes a new connection of the session: recursive watches of
// earlier ones are over.
func (r *registry) connected(c *conn) {
	r.endPersistent(func(x *conn) bool { return x != c }, zk.ErrConnectionClosed)
}

// parentPath returns p's parent ("/" for a top-level node, "" for "/").
func parentPath(p string) string {
	if p == "/" || p == "" {
		return ""
	}
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
