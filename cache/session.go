package cache

import (
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// onState follows the client's connection states. Suspended and Lost make
// the cache stale; Reconnected (same session: its watches are still set)
// and a new session (no watches left) start a resync, after which the
// cache is fresh again.
func (e *engine) onState(ch zkrecipes.StateChange) {
	switch ch.State {
	case zkrecipes.Connected:
		if ch.Session != e.sess {
			e.newSession(ch.Session)
		}
	case zkrecipes.Reconnected:
		if ch.Session == e.sess {
			e.connected = true
			e.resync()
		}
	case zkrecipes.Suspended, zkrecipes.Lost:
		if ch.Session == e.sess {
			e.connected = false
			e.markStale(ch.At)
		}
	case zkrecipes.Closed:
		e.connected = false
		e.markStale(ch.At)
		if !e.inited {
			e.inited, e.initErr = true, zkrecipes.ErrClosed
			close(e.initCh)
		}
	}
}

func (e *engine) markStale(at time.Time) {
	if e.stale {
		return
	}
	e.stale, e.since = true, at
	e.emit(Event{Kind: Stale, Path: e.root.path, At: at})
}

// newSession moves the cache to session s. Its watches are gone with the
// old session, so every node is read again with a watch, once the server
// s is connected to has caught up with the leader: a new session may be on
// a server that is behind what the old one saw.
func (e *engine) newSession(s *zkrecipes.Session) {
	e.sess = s
	e.gen++
	e.connected = true
	e.markStale(time.Now())
	e.walkNodes(e.root, func(n *node) { n.data.armed, n.list.armed = false, false })
	e.epoch++ // replies of the old epoch no longer count
	e.pending, e.broken = 0, false
	gen := e.gen
	e.wg.Go(func() {
		if err := s.Sync(e.ctx, e.root.path); err != nil {
			e.log.Warn("cache: sync before the resync failed", "path", e.root.path, "err", err)
			if e.ctx.Err() != nil {
				return
			}
		}
		e.in.post(resyncMsg{gen: gen})
	})
}
