package zkrecipes

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/sock"
	"github.com/zkrecipes/zkrecipes/internal/wire"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// createAndList creates p, as Create does, and lists p's parent in the same
// round trip: the listing is sent as soon as the create is on the wire, and
// ZooKeeper answers a session's requests in order, so the listing normally
// already holds the new node. When it does not (the create was sent again
// after a connection loss, created the parents first, or another create of
// this session under the same parent went out first), createAndList lists
// again: the listing it returns always holds the new node. Contention
// recipes use it (through internal/seam) to learn their position in one
// round trip instead of two. The listing's names share one buffer (see
// Ops.listing): look through them, do not keep them, and release it.
//
// If the create succeeded but the listing failed (or ctx was done while
// listing), the created path is returned with the error: the node exists
// and is the caller's. If ctx is done while the create is in flight,
// createAndList returns with no path and ctx's error; the node, should the
// create land, is deleted on a client-owned goroutine, which a connected
// session waits for (a second at most) before returning, so the caller
// normally sees nothing left behind; if that was not confirmed by then, the
// error also matches ErrUncertain. A ctx already done sends nothing.
func (s *Session) createAndList(ctx context.Context, p string, data []byte, mode CreateMode, opts ...CreateOption) (string, sock.Listing, *zk.Stat, error) {
	dir := zkpath.Parent(p)
	adir, err := s.abs(dir, true)
	if err != nil {
		return "", sock.Listing{}, nil, &OpError{Op: "create", Path: p, Err: err}
	}
	if err := ctx.Err(); err != nil {
		// The create below runs on a ctx that is never done: a done ctx
		// must stop it here, before anything is sent.
		return "", sock.Listing{}, nil, &OpError{Op: "create", Path: p, Err: err}
	}
	g := s.gen
	sent := g.socks.WatchWrite(func(frame []byte) bool { return isCreateUnder(frame, adir) })
	defer g.socks.UnwatchWrite(sent)
	// The create runs on a goroutine of its own, so it need not watch ctx
	// (which would cost it a second hand-off): we do, below, and an
	// abandoned create's node is deleted once it lands.
	bg := context.WithoutCancel(ctx)
	created := make(chan result[string], 1)
	if !s.c.spawn(func() {
		path, err := s.Create(bg, p, data, mode, opts...)
		created <- result[string]{path, err}
	}) {
		return "", sock.Listing{}, nil, &OpError{Op: "create", Path: p, Err: ErrClosed}
	}
	type listing struct {
		kids sock.Listing
		st   *zk.Stat
		err  error
	}
	var l listing
	var cr result[string]
	select {
	case <-sent.Done():
		// Our create is on the wire: the listing goes out behind it, from
		// here (Children is a request of our own: it needs no goroutine).
		l.kids, l.st, l.err = s.listing(ctx, dir)
		select {
		case cr = <-created:
		case <-ctx.Done():
			return s.abandonCreate(ctx, p, mode, created)
		}
	case cr = <-created:
		// Done before we saw it sent (or it failed): list after it.
		if cr.err != nil {
			return "", sock.Listing{}, nil, cr.err
		}
		kids, st, err := s.listing(ctx, dir)
		return cr.v, kids, st, err
	case <-ctx.Done():
		return s.abandonCreate(ctx, p, mode, created)
	}
	if cr.err != nil {
		return "", sock.Listing{}, nil, cr.err
	}
	if l.err != nil || !slices.Contains(l.kids.Names, zkpath.Base(cr.v)) {
		l.kids.Release()
		l.kids, l.st, l.err = s.listing(ctx, dir)
	}
	return cr.v, l.kids, l.st, l.err
}

// abandonCreate returns ctx's error for a create still in flight and
// deletes its node, on a client-owned goroutine, should it land; while
// connected it waits a moment for that (see awaitCleanup).
func (s *Session) abandonCreate(ctx context.Context, p string, mode CreateMode, created <-chan result[string]) (string, sock.Listing, *zk.Stat, error) {
	cl := newCleanup()
	if !s.c.goOwned(func(life context.Context) {
		defer close(cl.done)
		var r result[string]
		select {
		case r = <-created:
		case <-life.Done():
			return
		}
		if r.err != nil && !errors.Is(r.err, ErrUncertain) || mode.ephemeral() && s.Err() != nil {
			cl.gone = true // nothing made, or an ephemeral node gone with its session
			return
		}
		if r.err != nil {
			return // the create may have landed and cannot be found
		}
		dctx, cancel := context.WithTimeout(life, s.c.cleanupTimeout())
		defer cancel()
		// In any session: a persistent node outlives ours.
		err := s.c.Delete(dctx, r.v, -1)
		cl.gone = err == nil || errors.Is(err, zk.ErrNoNode)
	}) {
		close(cl.done)
	}
	gone := awaitCleanup(s, cl)
	return "", sock.Listing{}, nil, &OpError{Op: "create", Path: p, Err: abandoned(ctx.Err(), gone)}
}

// isCreateUnder reports whether frame, one request as go-zookeeper writes
// it, creates a child of dir.
func isCreateUnder(frame []byte, dir string) bool {
	path, ok := wire.CreatePath(frame)
	return ok && strings.HasPrefix(path, dir+"/") && !strings.Contains(path[len(dir)+1:], "/")
}
