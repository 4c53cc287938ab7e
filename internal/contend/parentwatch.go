package contend

import (
	"context"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// The data watches on lock parents that Warm relies on are shared: one per
// session and parent, whatever the number of handles, so handles made and
// dropped freely add no watch registrations (go-zookeeper keeps every
// watch channel until its node changes, and has no way to remove one).
// After a reconnection the watch is set again on the new connection; the
// earlier channel stays registered until the parent changes.

type watchKey struct {
	s   *zkrecipes.Session
	dir string
}

// parentWatch is a data watch on a parent, set while the parent was the
// incarnation created at czxid, and answered on connection conns.
type parentWatch struct {
	ch    <-chan zk.Event
	conns int64
	czxid int64
}

var parentWatches = struct {
	mu      sync.Mutex
	m       map[watchKey]*parentWatch
	arming  map[watchKey]bool
	reaping map[*zkrecipes.Session]bool // sessions whose entries go when they end
}{m: map[watchKey]*parentWatch{}, arming: map[watchKey]bool{}, reaping: map[*zkrecipes.Session]bool{}}

// watchingParent reports whether s has a watch on dir, the incarnation
// created at czxid, set and answered on s's current connection, that has
// not fired. go-zookeeper delivers an event into the channel and closes it
// before it reads the next reply, so once a reply is in, an event sent
// before it is visible here to every handle.
func watchingParent(s *zkrecipes.Session, dir string, czxid int64) bool {
	k := watchKey{s, dir}
	parentWatches.mu.Lock()
	defer parentWatches.mu.Unlock()
	w := parentWatches.m[k]
	if w == nil || w.czxid != czxid || w.conns != s.Connections() {
		return false
	}
	select {
	case <-w.ch:
		delete(parentWatches.m, k) // the parent changed or went: spent
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
	k := watchKey{s, dir}
	parentWatches.mu.Lock()
	if parentWatches.arming[k] {
		parentWatches.mu.Unlock()
		return
	}
	parentWatches.arming[k] = true
	reap := !parentWatches.reaping[s]
	parentWatches.reaping[s] = true
	parentWatches.mu.Unlock()

	started := c.Go(func(life context.Context) {
		conns := s.Connections()
		_, st, ch, err := s.GetW(life, dir)
		parentWatches.mu.Lock()
		defer parentWatches.mu.Unlock()
		delete(parentWatches.arming, k)
		if err == nil && st.Czxid == czxid && s.Connections() == conns && s.Err() == nil {
			parentWatches.m[k] = &parentWatch{ch: ch, conns: conns, czxid: czxid}
		}
	})
	if started && reap {
		started = c.Go(func(life context.Context) {
			select {
			case <-s.Done():
			case <-life.Done():
			}
			forgetSession(s)
		})
	}
	if !started {
		forgetSession(s)
	}
}

// forgetSession drops s's watches: they end with it.
func forgetSession(s *zkrecipes.Session) {
	parentWatches.mu.Lock()
	defer parentWatches.mu.Unlock()
	for k := range parentWatches.m {
		if k.s == s {
			delete(parentWatches.m, k)
		}
	}
	for k := range parentWatches.arming {
		if k.s == s {
			delete(parentWatches.arming, k)
		}
	}
	delete(parentWatches.reaping, s)
}
