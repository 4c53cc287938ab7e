package zkrecipes

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/cleanup"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/sock"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// createProtected makes a sequential node whose name carries our session id
// and a fresh nonce, so that after a connection loss we can list the parent
// and recognise our node instead of creating a second one. An ephemeral
// node is adopted only if its ephemeralOwner is our session; it lives and
// dies with the generation, so the whole create is pinned to one. A
// persistent node outlives sessions: if the session ends mid-create we look
// for it again from the next session before trying anew. nonce is the
// create's (zkpath.Nonce); search says an attempt with it may have landed
// already (see createOwnAndList), so the first attempt looks for it.
func (o ops) createProtected(ctx context.Context, p, ap string, data []byte, mode CreateMode, co createOptions, sp opSpan, nonce uint64, search bool) (string, error) {
	g, err := o.pin()
	if err != nil {
		return "", &OpError{Op: "create", Path: p, Err: err}
	}
	dir, base := zkpath.Parent(ap), zkpath.Base(ap)
	b := o.c.o.newBackOff()
	attempt := 1
	for {
		s, err := o.session(ctx, g)
		if err != nil {
			if g, err = o.repin(g, mode, err); err != nil {
				return "", o.fail("create", p, g, err)
			}
			continue
		}
		prefix := zkpath.Protected(s.id, nonce)
		if search {
			found, err := o.findProtected(ctx, g, dir, prefix, mode, s.id)
			if err == nil && found != "" {
				return o.rel(found), nil
			}
		}
		full := zkpath.Join(dir, prefix+base)
		gen := g
		got, err, pending := call(ctx, g, o.c, func(*zk.Conn) (string, error) {
			// Not ended by ctx: the cleanup below needs the create's true
			// outcome; its connection's end fails it.
			wctx := context.WithoutCancel(ctx)
			got, _, err := rawCreate(wctx, &gen.socks, full, data, mode, co)
			if errors.Is(err, zk.ErrNoNode) && co.parents {
				if err = o.ensureParents(wctx, &gen.socks, full); err == nil {
					got, _, err = rawCreate(wctx, &gen.socks, full, data, mode, co)
				}
			}
			return got, err
		})
		// A create in flight when ctx ended may land: its node is removed,
		// and the outcome is certain only once that is known to be done.
		gone := true
		if pending != nil {
			gone = awaitCleanup(s, o.cleanupLater(g, dir, prefix, mode, func() result[string] { return <-pending }))
		}
		switch {
		case err == nil:
			return o.rel(got), nil
		case ctx.Err() != nil:
			return "", o.fail("create", p, g, abandoned(ctx.Err(), gone))
		case retry.Retryable(err):
			search = true
			attempt++
			sp.retry(attempt, err)
			if ok, werr := retryWait(ctx, b, g); !ok {
				if ctx.Err() != nil {
					// An earlier attempt may have landed: look for it.
					lost := result[string]{err: err}
					gone = awaitCleanup(s, o.cleanupLater(g, dir, prefix, mode, func() result[string] { return lost }))
					return "", o.fail("create", p, g, abandoned(ctx.Err(), gone))
				}
				if g, err = o.repin(g, mode, orErr(werr, err)); err != nil {
					return "", o.fail("create", p, g, err)
				}
			}
		case isRetired(g):
			if g, err = o.repin(g, mode, err); err != nil {
				return "", o.fail("create", p, g, err)
			}
			search = true
		default:
			return "", o.fail("create", p, g, err)
		}
	}
}

// repin moves a persistent create to the next generation after its session
// ended; an ephemeral create fails with the session.
func (o ops) repin(g *generation, mode CreateMode, err error) (*generation, error) {
	if mode.ephemeral() || o.gen != nil || !isRetired(g) {
		return g, err
	}
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	if o.c.closed {
		return g, ErrClosed
	}
	return o.c.cur, nil
}

func isRetired(g *generation) bool {
	select {
	case <-g.retired:
		return true
	default:
		return false
	}
}

// findProtected lists dir for the child carrying prefix. For ephemeral
// nodes it also checks the owner: only our session's node is ours.
//
// It syncs first. The server we reconnected to need only be as recent as
// the replies we read, not the create whose reply was lost: that create
// may be committed by a quorum without this server having applied it yet,
// and a listing without it would make us create a second node. A sync
// reaches the leader after our create did (a create the old server sends
// later is refused: the session moved), so the listing after it is
// decisive.
func (o ops) findProtected(ctx context.Context, g *generation, dir, prefix string, mode CreateMode, sid int64) (string, error) {
	found, err := do(ctx, ops{c: o.c, gen: g}, "children", o.rel(dir), func(conn *zk.Conn, _ bool) (string, error) {
		if _, err := conn.Sync(dir); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return "", err
		}
		children, _, err := conn.Children(dir)
		if errors.Is(err, zk.ErrNoNode) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		for _, name := range children {
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			full := zkpath.Join(dir, name)
			if !mode.ephemeral() {
				return full, nil
			}
			_, st, err := conn.Exists(full)
			if err != nil {
				return "", err
			}
			if st != nil && st.EphemeralOwner == sid {
				return full, nil
			}
		}
		return "", nil
	})
	return found, err
}

// abandoned is the error of a create given up when ctx ended: ctx's error,
// uncertain unless its node is known not to exist.
func abandoned(err error, gone bool) error {
	if gone {
		return err
	}
	return uncertain(err)
}

// createCleanup is the removal of an abandoned create's node, on a
// client-owned goroutine.
type createCleanup struct {
	done chan struct{} // closed when the cleanup ended
	gone bool          // set before done closes: no node of the create is left
}

func newCleanup() *createCleanup { return &createCleanup{done: make(chan struct{})} }

// cleanupLater removes the node of a create abandoned by its caller (ctx
// done, or session lost) once the create's outcome is known. It runs on a
// client-owned goroutine, with its own deadline, never the caller's ctx.
func (o ops) cleanupLater(g *generation, dir, prefix string, mode CreateMode, outcome func() result[string]) *createCleanup {
	cl := newCleanup()
	if !o.c.spawn(func() {
		defer close(cl.done)
		r := outcome() // every request written is answered or fails with its connection
		if mode.ephemeral() && isRetired(g) {
			cl.gone = true // the node, if any, dies with its session
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), o.c.cleanupTimeout())
		defer cancel()
		target := r.v
		cg := g
		if isRetired(g) {
			cg, _ = o.repin(g, mode, nil)
		}
		if r.err != nil {
			if !retry.Retryable(r.err) && !isRetired(g) {
				cl.gone = true // the create failed: nothing to clean up
				return
			}
			sid := int64(0)
			select {
			case <-g.ready:
				sid = g.sess.id
			default:
			}
			found, err := o.findProtected(ctx, cg, dir, prefix, mode, sid)
			if err != nil || found == "" {
				cl.gone = err == nil
				return
			}
			target = found
		}
		_, err := do(ctx, ops{c: o.c, gen: cg}, "delete", o.rel(target), func(conn *zk.Conn, _ bool) (struct{}, error) {
			err := conn.Delete(target, -1)
			if errors.Is(err, zk.ErrNoNode) {
				err = nil
			}
			return struct{}{}, err
		})
		cl.gone = err == nil
	}) {
		close(cl.done)
	}
	return cl
}

// awaitCleanup gives the cleanup of an abandoned create a moment to finish
// before a cancelled call returns, while s is connected: that is normally
// two round trips (the create's reply, the delete), and the caller then
// sees no node behind. Disconnected, or past cleanup.Now (a server or link
// that slow), the cleanup goes on by itself. It reports whether the
// cleanup ended with no node of the create left.
func awaitCleanup(s *Session, cl *createCleanup) bool {
	if s.Connected() {
		t := time.NewTimer(cleanup.Now)
		defer t.Stop()
		select {
		case <-cl.done:
		case <-t.C:
		}
	}
	select {
	case <-cl.done:
		return cl.gone
	default:
		return false
	}
}

// cleanupTimeout bounds an abandoned create's cleanup (see cleanup.Horizon).
func (c *Client) cleanupTimeout() time.Duration {
	return cleanup.Horizon(c.SessionTimeout())
}

// ensureParents creates the missing ancestors of ap in g's session:
// namespace segments as persistent nodes, the rest as containers. It runs
// inside one attempt; connection loss surfaces to the caller's retry loop.
func (o ops) ensureParents(ctx context.Context, s *sock.Set, ap string) error {
	parent := zkpath.Parent(ap)
	if parent == "/" {
		return nil
	}
	mode := int32(zk.FlagContainer)
	ns := o.c.o.namespace
	if ns != "" && (parent == ns || strings.HasPrefix(ns, parent+"/")) {
		mode = zk.FlagPersistent
	}
	create := func() error {
		_, _, err := s.Create(ctx, parent, nil, o.c.o.acl, mode, 0)
		return err
	}
	err := create()
	if errors.Is(err, zk.ErrNoNode) {
		if err = o.ensureParents(ctx, s, parent); err != nil {
			return err
		}
		err = create()
	}
	if errors.Is(err, zk.ErrNodeExists) {
		return nil
	}
	return err
}

// retryWait waits out one backoff interval, or stops when g's session ends.
func retryWait(ctx context.Context, b backoff.BackOff, g *generation) (bool, error) {
	ok, err := retry.Wait(ctx, b, g.retired, errRetired)
	if errors.Is(err, errRetired) {
		err = g.err // safe to read: retired is closed
	}
	return ok, err
}
