package contend

import (
	"context"
	"errors"
	"fmt"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// fetchOwn reads our node's stat and sets a watch on it, then closes
// e.ready. A node that is missing or not owned by our session is
// ErrNodeGone.
func (e *Entry) fetchOwn(ctx context.Context) {
	e.fetch(ctx)
	close(e.ready)
}

func (e *Entry) fetch(ctx context.Context) {
	s := e.Session
	conns := seam.Connections(s)
	ok, st, ch, err := s.ExistsW(ctx, e.Path)
	switch {
	case err == nil && (!ok || st.EphemeralOwner != s.ID()):
		err = fmt.Errorf("%w: %s", ErrNodeGone, e.Path)
	case err == nil:
		e.token, e.watch = st.Czxid, ch
		if seam.Connections(s) == conns {
			e.watchConn = conns // set and answered on this connection
		}
	}
	e.ownErr = err
}

// fetchOwnLazy is fetchOwn for Config.Lazy, on a client-owned goroutine:
// it does not depend on the caller's ctx (Enter may have returned long
// ago) and retries while the session lives.
func (e *Entry) fetchOwnLazy(life context.Context) {
	defer close(e.ready)
	for {
		e.fetch(life)
		if e.ownErr == nil || errors.Is(e.ownErr, ErrNodeGone) || e.Session.Err() != nil || life.Err() != nil {
			return
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-e.Session.Done():
		case <-life.Done():
		}
	}
}

// Token returns the fencing token of the hold: the zxid of our node's
// creation, or for a Lazy entry possibly the pzxid its first listing
// proved equivalent (see firstListing), or for a warm one the last hold's
// token plus one (see Warm). It is strictly greater than the
// token of every earlier holder and smaller than that of every later one,
// also across a reaped and recreated parent. A Lazy entry may wait for the
// reply to the stat request sent while it waited (normally long arrived);
// Token returns 0 if that request failed: the session ended or the node
// is gone.
func (e *Entry) Token() int64 {
	<-e.ready
	if e.ownErr != nil {
		return 0
	}
	return e.token
}

// knownToken is the token if Enter settled it without waiting for a
// reply still in flight, else 0.
func (e *Entry) knownToken() int64 {
	select {
	case <-e.ready:
		if e.ownErr == nil {
			return e.token
		}
	default:
	}
	return 0
}

// Lost returns a channel closed when the hold ends without Leave: the
// session is lost, our node is deleted by someone else, or, when
// suspendedIsLost, the connection was suspended at any time since Enter
// returned. stop ends the watcher goroutine and returns once the channel
// is closed (call it before Leave). The goroutine is owned by the client.
// onLost, if not nil, is called before the channel closes when it closes
// for one of those reasons (not for stop, nor for the client's Close).
func (e *Entry) Lost(suspendedIsLost bool, onLost func()) (lost <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	quit := make(chan struct{})
	var susp <-chan struct{}
	if suspendedIsLost {
		susp = e.susp
	}
	started := seam.Go(e.c, func(life context.Context) {
		defer close(ch)
		if onLost != nil {
			defer func() {
				if !closed(quit) && life.Err() == nil && !errors.Is(e.Session.Err(), zkrecipes.ErrClosed) {
					onLost()
				}
			}()
		}
		ready := e.ready
		var watch <-chan zk.Event
		var own <-chan ownWatch
		for {
			select {
			case <-quit:
				return
			case <-life.Done():
				return
			case <-e.Session.Done():
				return
			case <-susp:
				return
			case <-ready:
				ready = nil
				if errors.Is(e.ownErr, ErrNodeGone) {
					return
				}
				watch = e.watch
				if watch == nil && e.ownErr == nil {
					own = e.watchOwn(quit)
				}
			case w := <-own:
				own = nil
				if w.gone {
					return
				}
				watch = w.ch
			case ev, ok := <-watch:
				if !ok || ev.Type == zk.EventNodeDeleted || ev.Type == zk.EventNotWatching {
					return
				}
				watch = nil // a data change: nothing to do, no further events
			}
		}
	})
	if !started {
		close(ch)
	}
	var once sync.Once
	return ch, func() {
		once.Do(func() { close(quit) })
		<-ch // the channel is closed when stop returns
	}
}

// SuspendedSince reports whether the session was suspended (or ended) at
// any time since Enter returned: under the default policy the hold was
// lost then.
func (e *Entry) SuspendedSince() bool { return closed(e.susp) }

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

type ownWatch struct {
	ch   <-chan zk.Event
	gone bool
}

// watchOwn sets the own-node watch of a Lazy entry whose token needed no
// request, on a client-owned goroutine that ends when quit is closed.
func (e *Entry) watchOwn(quit <-chan struct{}) <-chan ownWatch {
	out := make(chan ownWatch, 1)
	seam.Go(e.c, func(life context.Context) {
		ctx, cancel := context.WithCancel(life)
		defer cancel()
		go func() {
			select {
			case <-quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		s := e.Session
		ok, st, ch, err := s.ExistsW(ctx, e.Path)
		switch {
		case err == nil && (!ok || st.EphemeralOwner != s.ID()):
			out <- ownWatch{gone: true}
		case err == nil:
			out <- ownWatch{ch: ch}
		}
	})
	return out
}
