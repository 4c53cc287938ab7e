package counter

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/scope"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// MarkerPrefix starts the name of a write marker, "_w_<session id>": an
// ephemeral child of the counter node that each session writing the
// counter keeps (one per session and counter), rewritten with a fresh
// nonce in the same transaction as every versioned write, so that a write
// can be recognised as ours after its reply was lost.
const MarkerPrefix = "_w_"

// writer makes versioned writes to one node, each applied exactly once.
//
// Comparing the node's data after a lost reply cannot tell our write from
// another client's that wrote the same bytes from the same version (two
// increments of 41 both write 42); a counter would then report one
// increment twice while applying it once. So every write is a transaction:
// set the data at the expected version, and set our session's marker to a
// fresh nonce. After a lost reply the marker says whether ours committed.
//
// All writers of one client to one path share a writer (see writerFor):
// the marker is then written by one transaction at a time, which the
// check relies on, and the last value seen is shared.
type writer struct {
	c    *zkrecipes.Client
	path string
	turn chan struct{} // one transaction (and its resolution) at a time

	mu      sync.Mutex
	sid     int64 // session of marked
	marked  bool  // our marker exists in session sid
	known   bool  // value/version: the node as of our last read or write
	value   []byte
	version int32
}

// writerKey keys a client's writer for one path in the client's store.
type writerKey struct{ path string }

// writerFor returns the writer of c for path. The client keeps it (one
// small struct per counter path it uses) until it closes.
func writerFor(c *zkrecipes.Client, path string) *writer {
	return scope.Value(scope.Of(c), writerKey{path}, func() *writer {
		return &writer{c: c, path: path, turn: make(chan struct{}, 1)}
	})
}

// recall returns the last value and version seen, if any.
func (w *writer) recall() ([]byte, int32, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.value, w.version, w.known
}

// remember caches what we last saw, so that the next update can try its
// versioned write at once, without reading first: the write itself checks
// that nothing changed in between.
func (w *writer) remember(data []byte, version int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.known, w.value, w.version = true, data, version
}

func (w *writer) forget() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.known = false
}

func (w *writer) markerState(sid int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sid != sid {
		w.sid, w.marked = sid, false
	}
	return w.marked
}

func (w *writer) setMarked(sid int64, marked bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sid == sid {
		w.marked = marked
	}
}

// set writes data if the node's version is version and returns the new
// version; errConflict if another write came first, errMissing if there
// is no node; the marker, if made, gets acl (nil: the client's). The
// transaction runs on a context detached from ctx and
// bounded by the session, so set does not return while its write might
// still land: it returns what happened, or zkrecipes.ErrUncertain if the session
// ended (or ctx was done while the connection was down) first.
func (w *writer) set(ctx context.Context, s *zkrecipes.Session, data []byte, version int32, acl []zk.ACL) (int32, error) {
	// transact writes on a detached ctx: a done ctx must stop it here, and
	// the select below picks at random when the turn is free too.
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	select {
	case w.turn <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-w.turn }()
	v, err := w.transact(ctx, s, data, version, acl)
	if err == nil {
		w.remember(data, v)
	} else {
		w.forget()
	}
	return v, err
}

func (w *writer) transact(ctx context.Context, s *zkrecipes.Session, data []byte, version int32, acl []zk.ACL) (int32, error) {
	dctx := context.WithoutCancel(ctx)
	marker := zkpath.Join(w.path, fmt.Sprintf("%s%016x", MarkerPrefix, uint64(s.ID())))
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	marked := w.markerState(s.ID())
	sent := false         // a transaction with this nonce may have committed
	var b backoff.BackOff // for resending after connection loss
	for {
		if err := s.Err(); err != nil && !sent {
			return 0, err // nothing was sent
		}
		mark := any(&zk.SetDataRequest{Path: marker, Data: nonce, Version: -1})
		if !marked {
			mark = &zk.CreateRequest{Path: marker, Data: nonce, Flags: zk.FlagEphemeral, Acl: acl}
		}
		res, err := s.Multi(dctx, &zk.SetDataRequest{Path: w.path, Data: data, Version: version}, mark)
		failed, ferr := retry.FailedOp(res)
		switch {
		case err == nil:
			w.setMarked(s.ID(), true)
			return res[0].Stat.Version, nil
		case failed == 0 && errors.Is(ferr, zk.ErrNoNode):
			return 0, errMissing
		case failed == 0 && errors.Is(ferr, zk.ErrBadVersion):
			if !sent {
				return 0, errConflict
			}
			// An earlier attempt may have committed. Now that the version
			// has moved on it never will if it has not yet: the marker
			// tells which.
			cur, _, err := s.Get(dctx, marker)
			switch {
			case err == nil && string(cur) == string(nonce):
				w.setMarked(s.ID(), true)
				return version + 1, nil
			case err == nil || errors.Is(err, zk.ErrNoNode):
				return 0, errConflict
			}
			return 0, indeterminate(ctx, s, err)
		case failed == 1 && errors.Is(ferr, zk.ErrNodeExists):
			marked = true // made by an earlier session state or attempt: reuse it
		case failed == 1 && errors.Is(ferr, zk.ErrNoNode):
			marked = false // deleted by hand: make it again
		case retry.Dropped(err) && s.Err() == nil && ctx.Err() == nil:
			// The reply was lost. Sending the same transaction again is
			// safe: its version check lets at most one of the two commit,
			// and the nonce in the marker says afterwards whether one did.
			sent = true
			if b == nil {
				b = retry.Default()
			}
			if ok, _ := retry.Wait(dctx, b, s.Done(), nil); !ok {
				return 0, indeterminate(ctx, s, err)
			}
		case sent || retry.Dropped(err) || s.Err() != nil:
			return 0, indeterminate(ctx, s, err)
		default:
			return 0, err
		}
	}
}

func indeterminate(ctx context.Context, s *zkrecipes.Session, err error) error {
	if serr := s.Err(); serr != nil {
		err = serr
	} else if ctx.Err() != nil {
		err = ctx.Err()
	}
	return fmt.Errorf("counter: write in flight: %w: %w", zkrecipes.ErrUncertain, err)
}

// pause returns the jittered wait before attempt n+1 of a contended
// write: random in [d/2, d) with d = min(max, base·2ⁿ⁻¹), so that a loser
// always gives the winner of the last round some room.
func pause(base, max time.Duration, n int, rnd func(int64) int64) time.Duration {
	d := max
	if n >= 1 && n < 30 && base<<(n-1) < max {
		d = base << (n - 1)
	}
	if d <= 1 {
		return d
	}
	return d/2 + time.Duration(rnd(int64(d/2)))
}
