package sock

import (
	"context"
	"errors"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// The watching reads are zkrecipes' own requests (see calls.go), never
// go-zookeeper's: go-zookeeper then holds no watch, so after a
// reconnection it has none to set again and never reads its lastZxid
// while its receive loop writes it (go-zookeeper/zk#35, a data race the
// race detector reports in users' tests). Setting watches again is done
// here instead (rearm), from the reply zxids conn's reader records.

// GetW reads path's data and stat and leaves a data watch; its event
// goes to fn, or to the watcher's channel (C) if fn is nil.
func (s *Set) GetW(ctx context.Context, path string, fn func(zk.Event)) ([]byte, *zk.Stat, *Watcher, error) {
	r, w, err := s.watch(ctx, wire.OpGetData, path, fn, kindData, false)
	if err != nil {
		return nil, nil, nil, err
	}
	d := wire.NewDecoder(r.Body)
	data := d.Buffer()
	st := decodeStat(d)
	if d.Err() != nil {
		w.Remove()
		return nil, nil, nil, d.Err()
	}
	return data, st, w, nil
}

// ExistsW reports whether path exists, with its stat, and leaves a watch
// for its creation, change or deletion.
func (s *Set) ExistsW(ctx context.Context, path string, fn func(zk.Event)) (bool, *zk.Stat, *Watcher, error) {
	r, w, err := s.watch(ctx, wire.OpExists, path, fn, kindData, true)
	if errors.Is(err, zk.ErrNoNode) {
		return false, nil, w, nil
	}
	if err != nil {
		return false, nil, nil, err
	}
	d := wire.NewDecoder(r.Body)
	st := decodeStat(d)
	if d.Err() != nil {
		w.Remove()
		return false, nil, nil, d.Err()
	}
	return true, st, w, nil
}

// ChildrenW lists path's children, with its stat, and leaves a child watch.
func (s *Set) ChildrenW(ctx context.Context, path string, fn func(zk.Event)) ([]string, *zk.Stat, *Watcher, error) {
	r, w, err := s.watch(ctx, wire.OpGetChildren2, path, fn, kindChild, false)
	if err != nil {
		return nil, nil, nil, err
	}
	d := wire.NewDecoder(r.Body)
	children := d.Strings()
	st := decodeStat(d)
	if d.Err() != nil {
		w.Remove()
		return nil, nil, nil, d.Err()
	}
	if children == nil {
		children = []string{}
	}
	return children, st, w, nil
}

// C returns the channel of a watcher made without a function (nil for
// none, or a nil watcher).
func (w *Watcher) C() <-chan zk.Event {
	if w == nil {
		return nil
	}
	return w.ch
}

// watch sends a watching read of path and registers a watcher of kind as
// its reply arrives, or of kindExist if the node is missing and
// missingWatches (exists sets a watch on a missing node; getData and
// getChildren do not). The watcher is returned also with ErrNoNode when
// one was registered.
func (s *Set) watch(ctx context.Context, op int32, path string, fn func(zk.Event), kind watchKind, missingWatches bool) (wire.Reply, *Watcher, error) {
	w := &Watcher{key: watchKey{path, kind}, fn: fn, set: s}
	if fn == nil {
		w.ch = make(chan zk.Event, 1)
	}
	s.reg.begin(w.key)
	defer s.reg.end(w.key)
	registered, unflagged := false, false
	defer func() {
		if unflagged {
			s.reg.unflaggedDone(w.key)
		}
	}()
	r, _, err := s.sendOn(ctx, func(xid int32, c *conn) []byte {
		unflagged = !s.reg.flagWatch(c, w.key)
		return readRequest(op, path, !unflagged)(xid)
	}, func(r wire.Reply) {
		switch {
		case r.Err == wire.ErrCodeOK:
		case r.Err == wire.ErrCodeNoNode && missingWatches:
			w.key.kind = kindExist
		default:
			return
		}
		s.reg.add(w)
		registered = true
	})
	if registered {
		return r, w, err
	}
	return r, nil, err
}

// readRequest builds a read of path, with the watch flag as given.
func readRequest(op int32, path string, watch bool) func(int32) []byte {
	return func(xid int32) []byte {
		e := wire.NewRequest(xid, op)
		e.String(path)
		e.Bool(watch)
		return e.Frame()
	}
}

// setWatchesLimit keeps each setWatches frame well below the server's
// 1 MB packet limit, as ZooKeeper's own client does.
const setWatchesLimit = 128 << 10

// rearmFrames builds the setWatches frames that set the registry's
// watches again on a new connection, relative to zxid, the last one the
// session saw: the server fires at once every watch whose node changed
// after it. Each frame gets its own xid from next.
func (s *Set) rearmFrames(zxid int64, next func() int32) [][]byte {
	data, exist, child := s.reg.paths()
	var frames [][]byte
	for len(data)+len(exist)+len(child) > 0 {
		var d, e, c []string
		size := 0
		take := func(from *[]string, to *[]string) {
			for len(*from) > 0 && (size == 0 || size+4+len((*from)[0]) <= setWatchesLimit) {
				size += 4 + len((*from)[0])
				*to = append(*to, (*from)[0])
				*from = (*from)[1:]
			}
		}
		take(&data, &d)
		take(&exist, &e)
		take(&child, &c)
		req := wire.NewRequest(next(), wire.OpSetWatches)
		req.Int64(zxid)
		req.Strings(d)
		req.Strings(e)
		req.Strings(c)
		frames = append(frames, req.Frame())
	}
	return frames
}

// decodeStat reads a Stat (68 bytes) in jute's field order.
func decodeStat(d *wire.Decoder) *zk.Stat {
	return &zk.Stat{
		Czxid:          d.Int64(),
		Mzxid:          d.Int64(),
		Ctime:          d.Int64(),
		Mtime:          d.Int64(),
		Version:        d.Int32(),
		Cversion:       d.Int32(),
		Aversion:       d.Int32(),
		EphemeralOwner: d.Int64(),
		DataLength:     d.Int32(),
		NumChildren:    d.Int32(),
		Pzxid:          d.Int64(),
	}
}
