package zkrecipes

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/sock"
	"github.com/zkrecipes/zkrecipes/internal/wire"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// createAndList creates p, as Create does, and lists p's parent in the same
// round trip (an ephemeral sequential node, a contender's: see
// createOwnAndList): the listing is sent as soon as the create is on the wire, and
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
	if mode == EphemeralSequential {
		return s.createOwnAndList(ctx, p, data, opts...)
	}
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

// createOwnAndList is createAndList for an ephemeral sequential node (a
// contender's), with the create a request of our own (sock.StartCreate):
// the caller writes it and the listing right behind it, and waits for
// both replies, which the connection's reader hands over. Through
// go-zookeeper the create cost four goroutine hand-offs (to a goroutine
// that can wait without ctx, to go-zookeeper's sending loop, back from
// its receiving loop, back to us); now it costs the one of its reply.
//
// The create is protected as Create's are (createProtected): if its
// connection is lost before the reply, createProtected goes on with the
// same nonce and first looks for the node. If ctx ends first, the node,
// should the create land, is deleted as abandonCreate does. A parent
// that is missing is created by Create, whose node is then listed.
func (s *Session) createOwnAndList(ctx context.Context, p string, data []byte, opts ...CreateOption) (string, sock.Listing, *zk.Stat, error) {
	path, _, l, st, err := s.ownAndList(ctx, "", p, data, opts...)
	return path, l, st, err
}

// replaceAndList is createOwnAndList for a contender that leaves and
// enters again at once (a leader that resigns and campaigns anew): one
// transaction deletes old, a node of this session, and creates p
// (sock.StartReplace), so that the next in line, woken by old's deletion,
// finds no second write of ours ahead of its listing at the server. It
// reports whether old is known to be gone with it. It is not when the
// transaction failed (zk.ErrNoNode: old or p's parent is gone; nothing
// was applied), when ctx ended first, or when a connection loss left the
// outcome to createProtected, which creates p alone if the transaction
// had not landed: the caller then deletes old itself (a node already gone
// counts as deleted).
func (s *Session) replaceAndList(ctx context.Context, old, p string, data []byte, opts ...CreateOption) (string, bool, sock.Listing, *zk.Stat, error) {
	return s.ownAndList(ctx, old, p, data, opts...)
}

// ownAndList is createOwnAndList, which replaces old unless it is "".
func (s *Session) ownAndList(ctx context.Context, old, p string, data []byte, opts ...CreateOption) (string, bool, sock.Listing, *zk.Stat, error) {
	const mode = EphemeralSequential
	var co createOptions
	for _, opt := range opts {
		opt(&co)
	}
	if co.acl == nil {
		co.acl = s.c.o.acl
	}
	o := s.ops
	ap, err := o.abs(p, false)
	if err == nil {
		err = validateCreate(ap, mode, co)
	}
	if err == nil {
		err = o.checkCreate(ap, data, mode, co)
	}
	var aold string
	if err == nil && old != "" {
		aold, err = o.abs(old, false)
	}
	if err == nil {
		err = ctx.Err() // a done ctx sends nothing
	}
	if err != nil {
		return "", false, sock.Listing{}, nil, &OpError{Op: "create", Path: p, Err: err}
	}
	g := s.gen
	select {
	case <-g.prepared:
	case <-ctx.Done():
		return "", false, sock.Listing{}, nil, &OpError{Op: "create", Path: p, Err: ctx.Err()}
	case <-g.retired:
		return "", false, sock.Listing{}, nil, o.fail("create", p, g, g.err)
	}
	dir, base := zkpath.Parent(ap), zkpath.Base(ap)
	nonce := zkpath.Nonce()
	prefix := zkpath.Protected(s.id, nonce)
	sp := s.c.startOp("create", p)
	var pc *sock.Pending
	var sent bool
	if aold == "" {
		pc, sent, err = g.socks.StartCreate(ctx, zkpath.Join(dir, prefix+base), data, co.acl, int32(mode))
	} else {
		pc, sent, err = g.socks.StartReplace(ctx, aold, zkpath.Join(dir, prefix+base), data, co.acl, int32(mode))
	}
	if err != nil && !sent {
		sp.end(err)
		if isCtxErr(err) {
			return "", false, sock.Listing{}, nil, &OpError{Op: "create", Path: p, Err: err}
		}
		return "", false, sock.Listing{}, nil, o.fail("create", p, g, err)
	}
	var path string
	var l sock.Listing
	var st *zk.Stat
	lerr := err // a failed write: no listing
	if err == nil {
		// Written behind the create on the same connection, the listing
		// is answered after it and normally holds our node.
		l, st, lerr = s.listing(ctx, zkpath.Parent(p))
		path, err = pc.Wait(ctx)
	}
	switch {
	case ctx.Err() != nil && (err == nil || isCtxErr(err) || isCtxErr(lerr)):
		// Given up with the create's reply possibly still to come: its
		// node, if any, is deleted (see cleanupLater).
		l.Release()
		sp.end(ctx.Err())
		outcome := func() result[string] { v, err := pc.Outcome(); return result[string]{v, err} }
		gone := awaitCleanup(s, o.cleanupLater(g, dir, prefix, mode, outcome))
		return "", false, sock.Listing{}, nil, &OpError{Op: "create", Path: p, Err: abandoned(ctx.Err(), gone)}
	case errors.Is(err, zk.ErrNoNode) && co.parents && aold == "":
		// No parent, so nothing created: Create makes the parents.
		l.Release()
		sp.end(nil)
		path, err := s.Create(ctx, p, data, mode, opts...)
		if err != nil {
			return "", false, sock.Listing{}, nil, err
		}
		l, st, lerr = s.listing(ctx, zkpath.Parent(p))
		return path, false, l, st, lerr
	case err != nil && retry.Retryable(err):
		// The connection went before the reply: the create may have
		// landed. createProtected looks for it, with the same nonce.
		l.Release()
		path, err = o.createProtected(ctx, p, ap, data, mode, co, sp, nonce, true)
		sp.end(err)
		if err != nil {
			return "", false, sock.Listing{}, nil, err
		}
		l, st, lerr = s.listing(ctx, zkpath.Parent(p))
		return path, false, l, st, lerr
	case err != nil:
		l.Release()
		sp.end(err)
		return "", false, sock.Listing{}, nil, o.fail("create", p, g, err)
	}
	sp.end(nil)
	path = o.rel(path)
	if lerr != nil || !slices.Contains(l.Names, zkpath.Base(path)) {
		l.Release()
		l, st, lerr = s.listing(ctx, zkpath.Parent(p))
	}
	return path, aold != "", l, st, lerr
}
