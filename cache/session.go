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
			e.load()
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
	e.obs.Stale(at)
	e.emit(Event{Kind: Stale, Path: e.root.path, At: at})
}

// newSession moves the cache to session s. Its watches are gone with the
// old session, so every node is read again with a watch, once the server
// s is connected to has caught up with the leader: a new session starts
// with no last-seen zxid and may be on a server that is behind what the
// old one saw, where a listing could lack a node the cache holds and
// delete it from the cache. Until then no read is sent at all (follow-ups
// of the old session's reads included).
func (e *engine) newSession(s *zkrecipes.Session) {
	e.sess = s
	e.gen++
	e.dropWatch() // ended with its session, if not yet told
	e.sink = &watchSink{in: &e.in, gen: e.gen}
	e.connected = true
	e.syncing = true
	e.markStale(time.Now())
	e.walkNodes(e.root, func(n *node) { n.data.disarm(); n.list.disarm() })
	e.nextEpoch() // replies of the old epoch no longer count
	e.pending, e.broken = 0, false
	gen := e.gen
	e.wg.Go(func() {
		for {
			err := s.Sync(e.ctx, e.root.path)
			if err == nil {
				e.in.post(resyncMsg{gen: gen})
				return
			}
			if e.ctx.Err() != nil || s.Err() != nil {
				return // closed, or the session is gone: the next one syncs
			}
			e.log.Warn("cache: sync before the resync failed; trying again", "path", e.root.path, "err", err)
			select {
			case <-e.ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}
