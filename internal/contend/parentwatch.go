package contend

import (
	"context"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/scope"
	"github.com/zkrecipes/zkrecipes/internal/seam"
)

// The data watches on lock parents that Warm relies on are shared: one per
// session and parent, whatever the number of handles, so handles made and
// dropped freely add no watch registrations (go-zookeeper keeps every
// watch channel until its node changes, and has no way to remove one).
// After a reconnection the watch is set again on the new connection; the
// earlier channel stays registered until the parent changes.
//
// A session's watches live in its store (see internal/scope) and end with
// it: handles may keep an ended *Session for long, its watches go at once.

// parentWatch is a data watch on a parent, set while the parent was the
// incarnation created at czxid, and answered on connection conns.
type parentWatch struct {
	ch    <-chan zk.Event
	conns int64
	czxid int64
}

// parentWatches are one session's watches, by parent path.
type parentWatches struct {
	mu     sync.Mutex
	m      map[string]*parentWatch
	arming map[string]bool
	ended  bool // the session ended: keep nothing
}

type parentWatchesKey struct{}

func watchesOf(s *zkrecipes.Session) *parentWatches {
	return scope.Value(scope.Of(s), parentWatchesKey{}, func() *parentWatches {
		return &parentWatches{m: map[string]*parentWatch{}, arming: map[string]bool{}}
	})
}

// End drops the watches of a session that ended.
func (ws *parentWatches) End() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.m, ws.arming, ws.ended = nil, nil, true
}

// watchingParent reports whether s has a watch on dir, the incarnation
// created at czxid, set and answered on s's current connection, that has
// not fired. go-zookeeper delivers an event into the channel and closes it
// before it reads the next reply, so once a reply is in, an event sent
// before it is visible here to every handle.
func watchingParent(s *zkrecipes.Session, dir string, czxid int64) bool {
	ws := watchesOf(s)
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := ws.m[dir]
	if w == nil || w.czxid != czxid || w.conns != seam.Connections(s) {
		return false
	}
	select {
	case <-w.ch:
		delete(ws.m, dir) // the parent changed or went: spent
		return false
	default:
		return true
	}
}

// watchParent sets s's watch on dir on a client-owned goroutine, unless a
// live one is there or being set. It counts only if the parent is still
// the incarnation created at czxid and the reply came on the connection
// the request went out on.
func watchParent(c *zkrecipes.Client, s *zkrecipes.Session, dir string, czxid int64) {
	if watchingParent(s, dir, czxid) {
		return
	}
	ws := watchesOf(s)
	ws.mu.Lock()
	if ws.ended || ws.arming[dir] {
		ws.mu.Unlock()
		return
	}
	ws.arming[dir] = true
	ws.mu.Unlock()

	started := seam.Go(c, func(life context.Context) {
		conns := seam.Connections(s)
		_, st, ch, err := s.GetW(life, dir)
		ok := err == nil && st.Czxid == czxid && seam.Connections(s) == conns && s.Err() == nil
		ws.mu.Lock()
		defer ws.mu.Unlock()
		delete(ws.arming, dir)
		if ok && !ws.ended {
			ws.m[dir] = &parentWatch{ch: ch, conns: conns, czxid: czxid}
		}
	})
	if !started {
		ws.mu.Lock()
		delete(ws.arming, dir)
		ws.mu.Unlock()
	}
}
