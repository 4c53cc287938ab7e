package node

import (
	"context"
	"errors"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/retry"
)

// run keeps the node in place, session after session, until ctx ends
// (Close) or the client closes.
func (n *Node) run(ctx context.Context) {
	b := retry.Default()
	for ctx.Err() == nil {
		s, err := n.c.WaitSession(ctx)
		if err != nil {
			return // ctx done or client closed
		}
		err = n.session(ctx, s)
		if ctx.Err() != nil || errors.Is(err, zkrecipes.ErrClosed) {
			return
		}
		if s.Err() != nil {
			b.Reset()
			continue // session lost: create the node again in the next one
		}
		n.c.Logger().Warn("node: keeping node in place", "path", n.path, "err", err)
		if ok, _ := retry.Wait(ctx, b, nil, nil); !ok {
			return
		}
	}
}

// session keeps the node in place in session s: creates it, watches it,
// creates it again when it is deleted. It returns when ctx ends, s ends
// or an operation fails.
func (n *Node) session(ctx context.Context, s *zkrecipes.Session) error {
	for {
		h, err := n.ensure(ctx, s)
		if err != nil {
			return err
		}
		n.set(func() { n.cur, n.conflict = h, nil })
		if err := n.writeLatest(ctx); err != nil {
			return err
		}
		if err := n.watch(ctx, s, h.path); err != nil {
			return err
		}
		n.c.Logger().Info("node: deleted by someone else; creating it again", "path", h.path)
		n.set(func() { n.cur = holding{} })
	}
}

// watch returns nil when our node at p is gone (deleted by someone else),
// or an error when ctx or s ends first.
func (n *Node) watch(ctx context.Context, s *zkrecipes.Session, p string) error {
	for {
		ok, st, w, err := s.ExistsW(ctx, p)
		if err != nil {
			return err
		}
		if !ok || st.EphemeralOwner != s.ID() {
			return nil
		}
		select {
		case <-w: // deleted, or our data changed: look again
		case <-ctx.Done():
			return ctx.Err()
		case <-s.Done():
			return s.Err()
		}
	}
}

// ensure creates the node in s, or adopts it if it is already ours (a
// create whose reply was lost). A node of another session at the path is
// never taken over: ensure waits for it to go, and reports a conflict
// once it has waited for longer than the conflict wait.
func (n *Node) ensure(ctx context.Context, s *zkrecipes.Session) (holding, error) {
	var deadline time.Time // set when another session's node is first seen
	for {
		n.mu.Lock()
		data, gen := n.data, n.dataGen
		n.mu.Unlock()
		mode := zkrecipes.Ephemeral
		if n.o.sequential {
			mode = zkrecipes.EphemeralSequential // protected: never made twice
		}
		p, err := s.Create(ctx, n.path, data, mode, n.o.createOpts()...)
		if err == nil {
			return holding{path: p, sess: s, gen: gen}, nil
		}
		if !errors.Is(err, zk.ErrNodeExists) || n.o.sequential {
			return holding{}, err
		}
		ok, st, w, err := s.ExistsW(ctx, n.path)
		switch {
		case err != nil:
			return holding{}, err
		case !ok:
			continue // gone meanwhile
		case st.EphemeralOwner == s.ID():
			// Ours: a create whose reply was lost. Its data is that of
			// some generation; gen 0 makes writeLatest write the latest.
			return holding{path: n.path, sess: s, version: st.Version}, nil
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(n.o.conflictWait)
		}
		if err := n.waitOut(ctx, s, w, deadline, &ConflictError{Path: n.path, Owner: st.EphemeralOwner, Czxid: st.Czxid}); err != nil {
			return holding{}, err
		}
	}
}

// waitOut waits for the node watched by w (someone else's) to change or
// go. At deadline it reports conflict, and waits on.
func (n *Node) waitOut(ctx context.Context, s *zkrecipes.Session, w <-chan zk.Event, deadline time.Time, conflict *ConflictError) error {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		select {
		case <-w:
			// Changed or gone: look again. A conflict reported stays
			// reported only if the path is still held.
			n.set(func() { n.conflict = nil })
			return nil
		case <-t.C:
			n.c.Logger().Warn("node: path held by another session; waiting for it to go", "path", n.path,
				"owner", conflict.Owner, "czxid", conflict.Czxid)
			n.set(func() { n.conflict = conflict })
		case <-ctx.Done():
			return ctx.Err()
		case <-s.Done():
			return s.Err()
		}
	}
}
