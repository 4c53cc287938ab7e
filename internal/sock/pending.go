package sock

import (
	"context"

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
	cl *call
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
	c, xid, cl, err := s.enroll(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	if err := c.writeOwn(build(xid)); err != nil {
		// The connection is closed: its calls, ours too, fail with it.
		return &Pending{cl: cl}, true, zk.ErrConnectionClosed
	}
	return &Pending{cl: cl}, true, nil
}

// Wait returns the created path or the create's error, or ctx's error if
// ctx is done first: the reply is then left for Outcome.
func (p *Pending) Wait(ctx context.Context) (string, error) {
	select {
	case a := <-p.cl.reply:
		p.cl.reply <- a // for Outcome
		return created(a)
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
	return created(a)
}

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
