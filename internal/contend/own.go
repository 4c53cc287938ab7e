package contend

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
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
	ok, st, ch, err := s.ExistsW(ctx, e.Path)
	switch {
	case err == nil && (!ok || st.EphemeralOwner != s.ID()):
		err = fmt.Errorf("%w: %s", ErrNodeGone, e.Path)
	case err == nil:
		e.czxid, e.watch = st.Czxid, ch
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

// Token returns the zxid of our node's creation, a fencing token. With
// Config.Lazy it may wait for the reply to the request sent at entry (it
// normally arrives before the caller needs it); it returns 0 if that
// request failed: the session ended or the node is gone.
func (e *Entry) Token() int64 {
	<-e.ready
	if e.ownErr != nil {
		return 0
	}
	return e.czxid
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
	started := e.c.Go(func(life context.Context) {
		defer close(ch)
		ready := e.ready
		var watch <-chan zk.Event
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
