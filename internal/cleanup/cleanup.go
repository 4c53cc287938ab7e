// Package cleanup is the one routine for deleting a node a recipe no
// longer wants, "now if connected, else on a client-owned goroutine until
// the session ends", and the one horizon that bounds such detached work.
// It never uses a caller's (possibly cancelled) ctx for work that must
// outlive the call.
//
// It imports nothing of this module, so the root package uses it too.
package cleanup

import (
	"context"
	"errors"
	"time"

	"github.com/go-zookeeper/zk"
)

// Session is what cleanup needs of a *zkrecipes.Session.
type Session interface {
	Delete(ctx context.Context, path string, version int32) error
	Connected() bool
	Err() error // nil while the session lives
	Timeout() time.Duration
}

// Spawn runs fn on a goroutine the client owns and waits for at Close,
// with a ctx that ends when the client closes; it reports false, without
// running fn, once the client is closed (zkrecipes.Client.Go).
type Spawn func(fn func(life context.Context)) bool

// Now bounds an attempt made before returning to a caller that gave up:
// a round trip to a server that is up, while a cancelled call still
// returns promptly.
const Now = time.Second

// Horizon bounds detached work (a delete handed to the background, a
// write run to a known outcome after its caller left): long enough to
// ride out a connection loss that the session survives. The client
// declares a session lost one session timeout after its connection went,
// which ends the work sooner; the rest is margin for a reconnection and
// the request itself.
func Horizon(sessionTimeout time.Duration) time.Duration {
	return 2*sessionTimeout + 5*time.Second
}

// Delete deletes path, a node of s. A node already gone, or gone with the
// session (ended or closed), counts as deleted: nil.
func Delete(ctx context.Context, s Session, path string) error {
	err := s.Delete(ctx, path, -1)
	if err == nil || errors.Is(err, zk.ErrNoNode) || s.Err() != nil {
		return nil
	}
	return err
}

// Remove deletes path, a node of s, at once if connected, trying on ctx;
// if that fails while the session lives, or the connection is suspended
// (a partitioned caller would otherwise wait for the session's end),
// Later takes over. gone reports that the node is known to be deleted
// (or gone with the session); err is the failed attempt's error, nil if
// none was made.
func Remove(ctx context.Context, spawn Spawn, s Session, path string) (gone bool, err error) {
	if s.Err() != nil {
		return true, nil
	}
	if s.Connected() {
		if err = Delete(ctx, s, path); err == nil {
			return true, nil
		}
	}
	Later(spawn, s, path)
	return false, err
}

// Abandon removes path, a node of s, after a failed or cancelled
// operation: while connected it deletes before returning (within Now, on
// a context detached from ctx), so the caller sees the node gone;
// otherwise Later does.
func Abandon(ctx context.Context, spawn Spawn, s Session, path string) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Now)
	defer cancel()
	_, _ = Remove(dctx, spawn, s, path)
}

// Later keeps deleting path, a node of s, on a client-owned goroutine
// until it is gone or the session ends (after which the server removes an
// ephemeral node anyway), within Horizon.
func Later(spawn Spawn, s Session, path string) {
	Detached(spawn, s.Timeout(), func(ctx context.Context) { _ = Delete(ctx, s, path) })
}

// Detached runs fn on a client-owned goroutine with a ctx that ends when
// the client closes or after Horizon(sessionTimeout). It reports false,
// without running fn, if the client is closed.
func Detached(spawn Spawn, sessionTimeout time.Duration, fn func(ctx context.Context)) bool {
	return spawn(func(life context.Context) {
		ctx, cancel := context.WithTimeout(life, Horizon(sessionTimeout))
		defer cancel()
		fn(ctx)
	})
}
