package contend

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam"
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

// ownIntact reports whether our node, seen to exist when its watch was
// set, still did when the event we just read was sent: the watch was set
// on the connection we still use and has not fired. A server sends one
// connection's events in the order of the changes that fire them, so had
// our node been deleted first, its event would be here already. It must
// be called only before Enter returns (it may consume the watch, which
// Lost then sets again).
func (e *Entry) ownIntact() bool {
	select {
	case <-e.ready:
	default:
		return false
	}
	if e.ownErr != nil || e.watch == nil || e.watchConn == 0 || seam.Connections(e.Session) != e.watchConn {
		return false
	}
	select {
	case <-e.watch:
		e.watch = nil
		return false
	default:
		return true
	}
}

// firstListing settles a Lazy entry's token from its first listing, made
// right after our create, when it can; otherwise it asks for our czxid on
// a client-owned goroutine while we wait. It also asks when the entry is
// about to wait for its last obstacle (wantWatch): the request sets the
// own-node watch that lets the wake-up skip the listing (see ownIntact).
// Deeper in a queue the watch would rarely serve, so it is not worth a
// request.
//
// ZooKeeper names a sequential node after the number of children its
// parent ever had created (kept as the parent's internal cversion, which
// the create then increments) and reports a cversion of 2*creates -
// numChildren (creates plus deletes). So cversion + numChildren ==
// 2*(seq+1) proves that no sibling was created between our create and
// this listing. The parent's pzxid P, the zxid of the last child creation
// or deletion, is then the zxid of our create or of a later deletion, and
// orders holders as our czxid would: every earlier holder's node was
// deleted no later than P, every later holder's node is created after this
// listing, with a greater zxid. (int32 arithmetic wraps like the server's
// counters.)
func (e *Entry) firstListing(st *zk.Stat, seq int32, wantWatch bool) {
	if !wantWatch && st != nil && st.Pzxid != 0 && st.Cversion+st.NumChildren == 2*(seq+1) {
		e.token = st.Pzxid
		close(e.ready)
		return
	}
	if !seam.Go(e.c, e.fetchOwnLazy) {
		e.ownErr = zkrecipes.ErrClosed
		close(e.ready)
	}
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
func (e *Entry) Lost(suspendedIsLost bool) (lost <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	quit := make(chan struct{})
	var susp <-chan struct{}
	if suspendedIsLost {
		susp = e.susp
	}
	started := seam.Go(e.c, func(life context.Context) {
		defer close(ch)
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
