package sock

import (
	"context"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// Pending is a create of ours that was written and awaits its reply,
// which may outlive its caller: every request written gets its reply or
// fails with its connection, so Outcome always returns. A contender
// writes its create and its listing one behind the other this way, from
// its own goroutine (see zkrecipes' createAndList), and one that gives up
// hands the create's outcome to a cleanup that deletes the node should it
// have landed.
type Pending struct {
	cl     *call
	decode func(answer) (string, error) // the created path, from the reply
}

// StartCreate writes a create of path (a plain or sequential node, of
// flags) on the current connection, once there is one, and returns
// without waiting for the reply. A ctx already done sends nothing. An
// error means nothing was written, except for a failed write
// (zk.ErrConnectionClosed with sent true), whose create may have landed.
func (s *Set) StartCreate(ctx context.Context, path string, data []byte, acl []zk.ACL, flags int32) (p *Pending, sent bool, err error) {
	build := func(xid int32) []byte {
		e := wire.NewRequest(xid, wire.OpCreate)
		putCreate(e, path, data, acl, flags)
		return e.Frame()
	}
	return s.start(ctx, build, created)
}

// StartReplace is StartCreate of path in one transaction with the
// deletion of old (any version): a contender that leaves and enters again
// at once (a leader that resigns and campaigns anew) thereby makes the
// next in line wait for one write, not two. The transaction's error is
// its first failed operation's (zk.ErrNoNode: old is gone already);
// nothing of it is then applied.
func (s *Set) StartReplace(ctx context.Context, old, path string, data []byte, acl []zk.ACL, flags int32) (p *Pending, sent bool, err error) {
	build := func(xid int32) []byte {
		e := wire.NewRequest(xid, wire.OpMulti)
		putMultiHeader(e, wire.OpDelete)
		putPathVersion(e, old, -1)
		putMultiHeader(e, wire.OpCreate)
		putCreate(e, path, data, acl, flags)
		putMultiEnd(e)
		return e.Frame()
	}
	return s.start(ctx, build, replaced)
}

// start writes the request build makes and returns it pending, its reply
// to be decoded by decode.
func (s *Set) start(ctx context.Context, build func(int32) []byte, decode func(answer) (string, error)) (*Pending, bool, error) {
	c, xid, cl, err := s.enroll(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	p := &Pending{cl: cl, decode: decode}
	if err := c.writeOwn(build(xid)); err != nil {
		// The connection is closed: its calls, ours too, fail with it.
		return p, true, zk.ErrConnectionClosed
	}
	return p, true, nil
}

// Wait returns the created path or the create's error, or ctx's error if
// ctx is done first: the reply is then left for Outcome.
func (p *Pending) Wait(ctx context.Context) (string, error) {
	select {
	case a := <-p.cl.reply:
		p.cl.reply <- a // for Outcome
		return p.decode(a)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Outcome waits for the create's reply or its connection's end: the
// created path, or the error (zk.ErrConnectionClosed: it may have
// landed).
func (p *Pending) Outcome() (string, error) {
	a := <-p.cl.reply
	p.cl.reply <- a
	return p.decode(a)
}

// created decodes a create's reply.
func created(a answer) (string, error) {
	if a.err != nil {
		return "", a.err
	}
	if err := replyErr(a.r); err != nil {
		return "", err
	}
	d := wire.NewDecoder(a.r.Body)
	path := d.String()
	if d.Err() != nil {
		return "", d.Err()
	}
	return path, nil
}

// replaced decodes the reply of StartReplace's transaction: the path its
// create made.
func replaced(a answer) (string, error) {
	if a.err != nil {
		return "", a.err
	}
	if a.r.Body == nil {
		if err := replyErr(a.r); err != nil {
			return "", err
		}
		return "", wire.ErrShort
	}
	res, err := multiResult(a.r)
	if err != nil {
		return "", err
	}
	if len(res) != 2 {
		return "", fmt.Errorf("%w: %d results of a replace", wire.ErrShort, len(res))
	}
	return res[1].String, nil
}
