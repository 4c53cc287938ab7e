package sock

import (
	"context"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// Requests of zkrecipes' own share go-zookeeper's connection: they are
// written between its frames, under the connection's write lock, with
// xids go-zookeeper never uses (it counts up from 1; ours count down from
// ownXidBase), and conn's reader takes their replies out of the stream
// before go-zookeeper sees it. The server answers requests in the order
// they were written, whoever wrote them.
const ownXidBase = -1000

// isOwnXid reports whether a reply's xid is one of ours.
func isOwnXid(xid int32) bool { return xid <= ownXidBase }

// call is one request of ours awaiting its reply.
type call struct {
	on      *conn            // the connection it was written to
	reply   chan answer      // buffered: the reader never waits
	onReply func(wire.Reply) // run by the reader before it reads on, or nil
}

// answer is a reply, or why there is none.
type answer struct {
	r   wire.Reply
	err error
}

// request writes the frame that build makes for an xid on the current
// connection, once there is one, and returns the reply. onReply, if set,
// runs on the reading goroutine as the reply arrives, before any later
// frame is read (a watch is registered there, so that no event of it can
// come before). A ctx already done sends nothing. If ctx ends after the
// frame was written, request returns ctx's error unless the reply raced
// it in.
func (s *Set) request(ctx context.Context, build func(xid int32) []byte, onReply func(wire.Reply)) (wire.Reply, error) {
	r, _, err := s.send(ctx, build, onReply)
	return r, err
}

// send is request that also reports whether the frame was written (in
// whole or in part): a write that ends without its reply (ctx done,
// connection closed) may then have been applied.
func (s *Set) send(ctx context.Context, build func(xid int32) []byte, onReply func(wire.Reply)) (r wire.Reply, sent bool, err error) {
	return s.sendOn(ctx, func(xid int32, _ *conn) []byte { return build(xid) }, onReply)
}

// sendOn is send with a frame built under the write lock of the
// connection it goes to (see conn.writeBuilt).
func (s *Set) sendOn(ctx context.Context, build func(xid int32, c *conn) []byte, onReply func(wire.Reply)) (r wire.Reply, sent bool, err error) {
	c, xid, cl, err := s.enroll(ctx, onReply)
	if err != nil {
		return wire.Reply{}, false, err
	}
	if err := c.writeBuilt(func() []byte { return build(xid, c) }); err != nil {
		s.take(xid)
		return wire.Reply{}, true, zk.ErrConnectionClosed
	}
	var a answer
	select {
	case a = <-cl.reply:
	case <-ctx.Done():
		if s.take(xid) != nil {
			return wire.Reply{}, true, ctx.Err()
		}
		a = <-cl.reply // the reader took it: the reply is on its way
	}
	if a.err != nil {
		return wire.Reply{}, true, a.err
	}
	return a.r, true, replyErr(a.r)
}

// enroll waits for the connection our requests go to and registers a
// call on it. It fails, with nothing registered, once ctx is done or the
// session has ended.
func (s *Set) enroll(ctx context.Context, onReply func(wire.Reply)) (*conn, int32, *call, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, nil, err
		}
		s.mu.Lock()
		if s.endErr != nil {
			err := s.endErr
			s.mu.Unlock()
			return nil, 0, nil, err
		}
		if c := s.ready; c != nil {
			xid, cl := s.addCallLocked(c, onReply)
			s.mu.Unlock()
			return c, xid, cl, nil
		}
		wait := s.readyCh
		if wait == nil {
			wait = make(chan struct{})
			s.readyCh = wait
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, 0, nil, ctx.Err()
		}
	}
}

// addCallLocked registers a call on c under a new xid; s.mu is held.
func (s *Set) addCallLocked(c *conn, onReply func(wire.Reply)) (int32, *call) {
	xid := s.nextXid()
	cl := &call{on: c, reply: make(chan answer, 1), onReply: onReply}
	if s.calls == nil {
		s.calls = map[int32]*call{}
	}
	s.calls[xid] = cl
	return xid, cl
}

// sendOwn writes a request of ours on the current connection, if there
// is one, without waiting for its reply (deliver drops it).
func (s *Set) sendOwn(build func(xid int32) []byte) {
	s.mu.Lock()
	c := s.ready
	s.mu.Unlock()
	if c != nil {
		_ = c.writeOwn(build(s.nextXid()))
	}
}

// nextXid returns an xid for a request of ours.
func (s *Set) nextXid() int32 { return ownXidBase - s.xids.Add(1)%(1<<30) }

// take removes the call of xid, if still there.
func (s *Set) take(xid int32) *call {
	s.mu.Lock()
	defer s.mu.Unlock()
	cl := s.calls[xid]
	delete(s.calls, xid)
	return cl
}

// deliver hands a reply of ours to its call; a reply whose caller gave
// up is dropped.
func (s *Set) deliver(r wire.Reply) {
	cl := s.take(r.Xid)
	if cl == nil {
		return
	}
	if cl.onReply != nil {
		cl.onReply(r)
	}
	cl.reply <- answer{r: r}
}

// failCallsLocked fails the calls written to c (nil: all calls) with err.
func (s *Set) failCallsLocked(c *conn, err error) {
	for xid, cl := range s.calls {
		if c == nil || cl.on == c {
			delete(s.calls, xid)
			cl.reply <- answer{err: err}
		}
	}
}

// replyErr is the error a reply's code stands for, nil for none.
func replyErr(r wire.Reply) error {
	if r.Err == wire.ErrCodeOK {
		return nil
	}
	if err, ok := serverErrs[r.Err]; ok {
		return err
	}
	return fmt.Errorf("%w: server error code %d", zk.ErrUnknown, r.Err)
}

// serverErrs are the server's error codes that go-zookeeper exports an
// error for (its own table is unexported).
var serverErrs = map[int32]error{
	-4:   zk.ErrConnectionClosed,
	-6:   ErrUnimplemented,
	-8:   zk.ErrBadArguments,
	-101: zk.ErrNoNode,
	-102: zk.ErrNoAuth,
	-103: zk.ErrBadVersion,
	-108: zk.ErrNoChildrenForEphemerals,
	-110: zk.ErrNodeExists,
	-111: zk.ErrNotEmpty,
	-112: zk.ErrSessionExpired,
	-114: zk.ErrInvalidACL,
	-115: zk.ErrAuthFailed,
	-116: zk.ErrClosing,
	-117: zk.ErrNothing,
	-118: zk.ErrSessionMoved,
}

// ownWriteTimeout bounds a write of ours to a connection whose peer has
// stopped reading; go-zookeeper bounds its own writes the same way.
func (s *Set) ownWriteTimeout() time.Duration {
	if t := s.Timeout(); t > 0 {
		return t * 2 / 3
	}
	return 10 * time.Second
}
