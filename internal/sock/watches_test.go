package sock

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newWatcher(s *Set, path string, kind watchKind) *Watcher {
	return &Watcher{key: watchKey{path, kind}, ch: make(chan zk.Event, 1), set: s}
}

// The server's watch of a class is removed only with its last local
// watcher, never while a request that sets one is in flight, and such a
// request waits while a removal is being written.
func TestRegistry_RemoveOnlyWhatNobodyNeeds(t *testing.T) {
	var s Set
	r := &s.reg
	data, exist := newWatcher(&s, "/p", kindData), newWatcher(&s, "/p", kindExist)
	child := newWatcher(&s, "/p", kindChild)
	for _, w := range []*Watcher{data, exist, child} {
		r.add(w)
	}

	found, unbacked := r.remove(data)
	assert.True(t, found)
	assert.False(t, unbacked, "the exist watch shares the server's data watch")
	found, unbacked = r.remove(data)
	assert.False(t, found, "removed twice")
	assert.False(t, unbacked)

	r.begin(watchKey{"/p", kindData}) // a getData in flight
	found, unbacked = r.remove(exist)
	assert.True(t, found)
	assert.False(t, unbacked, "its reply would register a watcher the server no longer backs")
	r.end(watchKey{"/p", kindData})

	found, unbacked = r.remove(child)
	require.True(t, found)
	require.True(t, unbacked, "the last child watcher, nothing in flight")
	began := make(chan struct{})
	go func() {
		r.begin(watchKey{"/p", kindChild})
		close(began)
	}()
	select {
	case <-began:
		t.Fatal("a request began while the removal of its class was being written")
	case <-time.After(20 * time.Millisecond): // a bound on a wait that must not end, not a synchronisation
	}
	r.removed(watchClass{"/p", true})
	<-began
	r.end(watchKey{"/p", kindChild})
	assert.Empty(t, r.pending)
}
