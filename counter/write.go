package counter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// MarkerPrefix starts the name of a write marker: an ephemeral child of
// the counter node, "_w_<session>-<nonce>", created in the same
// transaction as a versioned write so that the write can be recognised as
// ours after its reply was lost. Each writer keeps at most its latest
// marker, deleted by its next write (or with its session).
const MarkerPrefix = "_w_"

// writer makes versioned writes to one node, each applied exactly once.
//
// Comparing the node's data after a lost reply cannot tell our write from
// another client's that wrote the same bytes from the same version (two
// increments of 41 both write 42), and a counter would then count one
// increment twice in its results while applying it once. So every write is
// a transaction: set the data at the expected version, create a marker
// named with a fresh nonce, delete our previous marker. The marker is
// proof that the transaction committed.
type writer struct {
	c    *zkrecipes.Client
	path string
	acl  []zk.ACL // of markers; nil: the client's default

	mu    sync.Mutex
	sid   int64    // session that owns stale
	stale []string // our markers from earlier writes, still present
}

// take removes and returns the stale markers of session sid.
func (w *writer) take(sid int64) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sid != sid {
		w.sid, w.stale = sid, nil // the old session's markers died with it
	}
	s := w.stale
	w.stale = nil
	return s
}

// give hands markers back for deletion by a later write.
func (w *writer) give(sid int64, markers ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sid != sid {
		return
	}
	w.stale = append(w.stale, markers...)
}

// set writes data if the node's version is version and returns the new
// version; errConflict if another write came first, errMissing if there
// is no node. The transaction runs on a context detached from ctx and
// bounded by the session, so set does not return while its write might
// still land: it returns what happened, or ErrIndeterminate (with the
// session's error) if the session ended first.
func (w *writer) set(ctx context.Context, s *zkrecipes.Session, data []byte, version int32) (int32, error) {
	dctx := context.WithoutCancel(ctx)
	marker := zkpath.Join(w.path, fmt.Sprintf("%s%016x-%016x", MarkerPrefix, uint64(s.ID()), zkpath.Nonce()))
	stale := w.take(s.ID())
	sent := false // a transaction with this marker may have been applied
	b := retry.Default()
	for {
		ops := make([]any, 0, len(stale)+2)
		ops = append(ops, &zk.SetDataRequest{Path: w.path, Data: data, Version: version})
		for _, m := range stale {
			ops = append(ops, &zk.DeleteRequest{Path: m, Version: -1})
		}
		ops = append(ops, &zk.CreateRequest{Path: marker, Flags: zk.FlagEphemeral, Acl: w.acl})
		if err := s.Err(); err != nil && !sent {
			return 0, err // nothing was sent
		}
		res, err := s.Multi(dctx, ops...)
		failed, ferr := failedOp(res, err)
		switch {
		case err == nil:
			w.give(s.ID(), marker)
			return res[0].Stat.Version, nil
		case failed == 0 && errors.Is(ferr, zk.ErrNoNode):
			w.give(s.ID(), stale...)
			return 0, errMissing
		case failed == 0 && errors.Is(ferr, zk.ErrBadVersion),
			failed == len(ops)-1 && errors.Is(ferr, zk.ErrNodeExists):
			if !sent {
				w.give(s.ID(), stale...)
				return 0, errConflict
			}
			// An earlier attempt may have committed. Now that the version
			// has moved on it never will if it has not yet: the marker
			// tells which.
			ok, _, err := s.Exists(dctx, marker)
			switch {
			case err != nil:
				return 0, indeterminate(ctx, s, err)
			case ok:
				w.give(s.ID(), marker)
				return version + 1, nil
			}
			w.give(s.ID(), stale...)
			return 0, errConflict
		case failed > 0 && failed < len(ops)-1 && errors.Is(ferr, zk.ErrNoNode):
			// One of our old markers is already gone (deleted by hand):
			// forget it and try again; nothing was applied.
			stale = append(stale[:failed-1:failed-1], stale[failed:]...)
		case ambiguous(err) && s.Err() == nil && ctx.Err() == nil:
			// The reply was lost. Sending the very same transaction again
			// is safe: the version check lets at most one of the two
			// commit, and the marker says afterwards whether one did.
			sent = true
			if ok, _ := retry.Wait(dctx, b, s.Done(), nil); !ok {
				return 0, indeterminate(ctx, s, err)
			}
		case sent || ambiguous(err) || s.Err() != nil:
			// Sent, and then the session ended (or the caller gave up
			// while the connection was down): nobody can tell any more.
			return 0, indeterminate(ctx, s, err)
		default:
			w.give(s.ID(), stale...)
			return 0, err
		}
	}
}

// failedOp returns the index and error of the operation that failed a
// transaction (-1 if none did, or the transaction itself failed).
func failedOp(res []zk.MultiResponse, err error) (int, error) {
	if err == nil {
		return -1, nil
	}
	for i, r := range res {
		if r.Error != nil {
			return i, r.Error
		}
	}
	return -1, err
}

// ambiguous reports whether err leaves open whether the server applied
// the request: its connection dropped after (or while) it was sent.
// go-zookeeper hands a failed socket write's own error to the request.
func ambiguous(err error) bool {
	var ne net.Error
	return errors.Is(err, zk.ErrConnectionClosed) || errors.As(err, &ne)
}

func indeterminate(ctx context.Context, s *zkrecipes.Session, err error) error {
	if serr := s.Err(); serr != nil {
		err = serr
	} else if ctx.Err() != nil {
		err = ctx.Err()
	}
	return fmt.Errorf("%w: %w", ErrIndeterminate, err)
}

// backoff returns the jittered wait before attempt n (n >= 1) of a
// contended write: uniformly random in [0, min(max, base<<n)).
func backoff(base, max time.Duration, n int, rnd func(int64) int64) time.Duration {
	d := max
	if n < 30 && base<<n < max && base<<n > 0 {
		d = base << n
	}
	if d <= 0 {
		return 0
	}
	return time.Duration(rnd(int64(d)))
}
