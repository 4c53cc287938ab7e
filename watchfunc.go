package zkrecipes

import (
	"context"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/sock"
)

// A Watch is a one-shot watch whose event goes to a function (see
// GetWatch). Unlike a watch channel it can be removed before it fires.
type Watch struct{ w *sock.Watcher }

// Remove ends the watch before it fires: its function gets
// EventNotWatching with ErrWatchRemoved instead, unless it fired, ended or
// was removed already (false). When no other watch of the session needs
// the server's watch on the path, the server drops it too
// (removeWatches), so a cache that stops following a tree leaves nothing
// behind on the server.
func (w *Watch) Remove() bool { return w != nil && w.w.Remove() }

// ErrWatchRemoved is the error of the EventNotWatching a removed Watch
// gets.
var ErrWatchRemoved = sock.ErrWatchRemoved

// GetWatch is GetW with the event delivered to fn. fn runs on the
// connection's reading goroutine, at most once: it must return at once
// (hand the event on; never block, never call the client). It gets
// EventNotWatching, with the session's end as Err, if the session ends
// first.
func (o Ops) GetWatch(ctx context.Context, p string, fn func(zk.Event)) ([]byte, *zk.Stat, *Watch, error) {
	ap, err := o.abs(p, true)
	if err == nil && fn == nil {
		err = errNilWatchFunc
	}
	if err != nil {
		return nil, nil, nil, &OpError{Op: "getw", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "getw", p, func(ctx context.Context, s *sock.Set) (watchedFn[[]byte], error) {
		d, st, w, err := s.GetW(ctx, ap, fn)
		return watchedFn[[]byte]{d, st, w}, err
	})
	return r.v, r.st, r.watch(), err
}

// ExistsWatch is ExistsW with the event delivered to fn (see GetWatch).
func (o Ops) ExistsWatch(ctx context.Context, p string, fn func(zk.Event)) (bool, *zk.Stat, *Watch, error) {
	ap, err := o.abs(p, true)
	if err == nil && fn == nil {
		err = errNilWatchFunc
	}
	if err != nil {
		return false, nil, nil, &OpError{Op: "existsw", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "existsw", p, func(ctx context.Context, s *sock.Set) (watchedFn[bool], error) {
		ok, st, w, err := s.ExistsW(ctx, ap, fn)
		return watchedFn[bool]{ok, st, w}, err
	})
	return r.v, r.st, r.watch(), err
}

// ChildrenWatch is ChildrenW with the event delivered to fn (see
// GetWatch).
func (o Ops) ChildrenWatch(ctx context.Context, p string, fn func(zk.Event)) ([]string, *zk.Stat, *Watch, error) {
	ap, err := o.abs(p, true)
	if err == nil && fn == nil {
		err = errNilWatchFunc
	}
	if err != nil {
		return nil, nil, nil, &OpError{Op: "childrenw", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "childrenw", p, func(ctx context.Context, s *sock.Set) (watchedFn[[]string], error) {
		ch, st, w, err := s.ChildrenW(ctx, ap, fn)
		return watchedFn[[]string]{ch, st, w}, err
	})
	return r.v, r.st, r.watch(), err
}

type watchedFn[T any] struct {
	v  T
	st *zk.Stat
	w  *sock.Watcher
}

func (r watchedFn[T]) watch() *Watch {
	if r.w == nil {
		return nil
	}
	return &Watch{r.w}
}

var errNilWatchFunc = fmt.Errorf("%w: nil watch function", ErrInvalidArgument)
