package queue

import (
	"context"
	"errors"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/cleanup"
	"github.com/zkrecipes/zkrecipes/internal/retry"
)

// detach runs do on a client-owned goroutine with a context of its own (the
// client's life, bounded by the cleanup horizon), so that a write the
// caller gives up on still runs to a known outcome. If the caller's ctx is
// done first, detach returns ctx's error at once, and undo reverses do's
// result once it is known (deletes the message a put made, releases the
// claim a take made). ZooKeeper cannot cancel a request that was sent; this
// is how cancellation stays prompt without leaving nodes behind.
func detach[T any](ctx context.Context, c *zkrecipes.Client, do func(context.Context) (T, error), undo func(context.Context, T)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	var (
		mu        sync.Mutex
		v         T
		err       error
		done      = make(chan struct{})
		abandoned bool
		tracker   *sync.WaitGroup // counts the undo of an abandoned call (see withUndoTracker)
	)
	ok := cleanup.Detached(seam.Spawner(c), c.SessionTimeout(), func(dctx context.Context) {
		rv, rerr := do(dctx)
		mu.Lock()
		if abandoned {
			mu.Unlock()
			if rerr == nil && undo != nil {
				undo(dctx, rv)
			}
			if tracker != nil {
				tracker.Done()
			}
			return
		}
		v, err = rv, rerr
		close(done)
		mu.Unlock()
	})
	if !ok {
		return zero, zkrecipes.ErrClosed
	}
	select {
	case <-done:
		return v, err
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case <-done:
			return v, err
		default:
		}
		abandoned = true
		if tracker, _ = ctx.Value(undoTrackerKey{}).(*sync.WaitGroup); tracker != nil {
			tracker.Add(1)
		}
		return zero, ctx.Err()
	}
}

type undoTrackerKey struct{}

// withUndoTracker makes detach count, in wg, the undo work of calls made
// with the returned context that their caller abandons, so that the caller
// can wait until nothing it gave up on is left behind (Consume returns
// only once the claims of its cancelled takes are released). Every such
// call must have returned before wg.Wait is called.
func withUndoTracker(ctx context.Context, wg *sync.WaitGroup) context.Context {
	return context.WithValue(ctx, undoTrackerKey{}, wg)
}

// cleanupHorizon bounds detached work (see cleanup.Horizon).
func cleanupHorizon(c *zkrecipes.Client) time.Duration {
	return cleanup.Horizon(c.SessionTimeout())
}

// catchUp makes s's server catch up with the leader before a read that
// decides the outcome of a write whose reply was lost. The server we
// reconnected to need only be as recent as the replies we read, not the
// write we lost: a quorum may have committed it before this server
// applied it, and a read that misses it would make us write again (a
// message put twice). The sync reaches the leader after our write did: a
// write that the old server forwards later is refused, the session having
// moved. In a new session the old one may live on at the server for a
// tick; the sync does not cover a write it still has in flight.
func catchUp(ctx context.Context, s *zkrecipes.Session, p string) error {
	err := s.Sync(ctx, p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	return err
}

// The queue's names for the classifiers of internal/retry, the one home
// of error classification (see its package doc).
var (
	// ambiguous: a write failed with no answer that settles it.
	ambiguous = retry.Unanswered
	// transient: an operation may succeed if tried again later.
	transient = retry.Transient
)

// failedOp returns the index of the operation that made a transaction
// fail, or -1 (see retry.FailedOp).
func failedOp(res []zk.MultiResponse) int {
	i, _ := retry.FailedOp(res)
	return i
}

// sleep waits d, or less if ctx is done first (then it returns false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
