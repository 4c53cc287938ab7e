package zkrecipes

import (
	"context"

	"github.com/zkrecipes/zkrecipes/internal/sock"
)

// watchTree sets a persistent recursive watch on p in s (ZooKeeper 3.6+;
// see sock.Set.AddWatch for the contract), with paths relative to the
// namespace: fn's events carry such paths, and abs turns one into the
// server's, for the watch's Reads. It waits, as every operation does, for
// the session's credentials to be added. Caches use it (internal/seam).
func (s *Session) watchTree(ctx context.Context, p string, fn func(sock.Notice)) (w *sock.Persistent, abs func(string) string, err error) {
	ap, err := s.Ops.abs(p, true)
	if err != nil {
		return nil, nil, &OpError{Op: "addwatch", Path: p, Err: err}
	}
	g := s.gen
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	select {
	case <-g.prepared:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-g.retired:
		return nil, nil, g.err
	}
	o := s.Ops
	w, err = g.socks.AddWatch(ctx, ap, func(n sock.Notice) {
		if n.Kind == sock.Changed {
			n.Event.Path = o.rel(n.Event.Path)
		}
		fn(n)
	})
	if err != nil {
		return nil, nil, &OpError{Op: "addwatch", Path: p, Err: err}
	}
	abs = func(q string) string {
		aq, _ := o.abs(q, true) // q is a path under p: valid
		return aq
	}
	return w, abs, nil
}
