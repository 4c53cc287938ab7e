package sock

import (
	"sync"
	"sync/atomic"
)

// WriteWatch is a one-shot wait for a request frame that its match
// accepts to be written to one of a Set's connections. It fires at most
// once: the write removes it, under the lock, as it closes done.
type WriteWatch struct {
	match func(frame []byte) bool
	done  chan struct{}
}

// Done returns a channel closed once a matching frame was written.
func (w *WriteWatch) Done() <-chan struct{} { return w.done }

type writeWatches struct {
	n  atomic.Int32 // len(ws), read without the lock on every write
	mu sync.Mutex
	ws map[*WriteWatch]struct{}
}

// WatchWrite starts a watch for the next written request frame (one
// whole frame: go-zookeeper writes one per call) that match accepts.
// match runs on go-zookeeper's sending goroutine, under a lock: it must
// be quick. End the watch with UnwatchWrite.
func (s *Set) WatchWrite(match func(frame []byte) bool) *WriteWatch {
	w := &WriteWatch{match: match, done: make(chan struct{})}
	ws := &s.writes
	ws.mu.Lock()
	if ws.ws == nil {
		ws.ws = map[*WriteWatch]struct{}{}
	}
	ws.ws[w] = struct{}{}
	ws.n.Store(int32(len(ws.ws)))
	ws.mu.Unlock()
	return w
}

// UnwatchWrite ends w, fired or not.
func (s *Set) UnwatchWrite(w *WriteWatch) {
	ws := &s.writes
	ws.mu.Lock()
	delete(ws.ws, w)
	ws.n.Store(int32(len(ws.ws)))
	ws.mu.Unlock()
}

// wrote is called with every frame written to the set's connections.
func (ws *writeWatches) wrote(frame []byte) {
	if ws.n.Load() == 0 {
		return
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for w := range ws.ws {
		if w.match(frame) {
			close(w.done)
			delete(ws.ws, w)
		}
	}
	ws.n.Store(int32(len(ws.ws)))
}
