// Package retry is the one home of retrying and of error classification:
// which errors may be retried, which leave a write's outcome open, which
// mean it failed for sure, and the backoff loop that waits between
// attempts.
//
// The predicates, from the narrowest:
//
//	Dropped       the connection closed with the request in flight: it may
//	              have been applied (counter's writes, the drop count)
//	Retryable     the request may be sent again on the same session
//	              (the client's retry loop): Dropped, or not sent
//	              (zk.ErrNoServer), or refused as the session moved
//	Unanswered    a write failed with no answer that settles it: Dropped,
//	              session moved, session ended or ctx ended first; the
//	              caller looks (or sends again, where that is safe)
//	Transient     the operation may succeed if tried later, on this session
//	              or the next: Unanswered, or zk.ErrNoServer
//	SessionEnded  the request's session is gone, with its ephemeral nodes
//
// Anything else is an answer: the write failed for sure (zk.ErrNodeExists,
// zk.ErrBadVersion, ...), or, for an error matching zkrecipes.ErrUncertain,
// a recipe already looked and could not tell.
package retry

import (
	"context"
	"errors"
	"net"

	"github.com/go-zookeeper/zk"
)

// ErrSessionLost is zkrecipes.ErrSessionLost, which the root package
// re-exports: it is defined here, below the root package, so that the
// predicates can recognise it (the root package imports this one).
var ErrSessionLost = errors.New("zkrecipes: session lost")

// Retryable reports whether err means the request may not have reached the
// server, or its reply was lost, while the session itself may still live.
// Only these errors are retried; session expiry never is, it surfaces as loss.
func Retryable(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) ||
		errors.Is(err, zk.ErrNoServer) ||
		errors.Is(err, zk.ErrSessionMoved) ||
		isNetError(err)
}

// isNetError reports a socket error handed to a request: go-zookeeper
// gives a request whose write failed (say, EPIPE after the connection was
// cut) that write's error instead of ErrConnectionClosed. The request may
// have reached the server in part or whole, exactly as with connection
// loss. context.DeadlineExceeded is not one, although it implements
// net.Error: a request whose ctx ended before it was sent was not sent.
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && !errors.Is(err, context.DeadlineExceeded)
}

// Dropped reports whether err means the connection closed while the
// request was being written or awaited its reply: it may have reached the
// server. zk.ErrNoServer (flushed unsent) and zk.ErrSessionMoved (answered)
// are not drops.
func Dropped(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) || isNetError(err)
}

// SessionEnded reports whether err says that the session the request ran
// in has ended: nothing more is sent in it, and its ephemeral nodes are
// gone (or will be once the server expires it).
func SessionEnded(err error) bool {
	return errors.Is(err, ErrSessionLost) || errors.Is(err, zk.ErrSessionExpired)
}

// Unanswered reports whether a write that failed with err got no answer
// that settles it, so that it may or may not have been applied: the
// connection dropped with it in flight (Dropped), the session ended or ctx
// ended first (it may have been sent), or the server refused it because
// the session had moved to another server. The last is an answer (not
// applied), counted here because callers settle it as cheaply as a lost
// reply, by looking or sending again. A ctx error is counted whether or
// not the write was sent: callers that care check ctx themselves.
func Unanswered(err error) bool {
	return Dropped(err) ||
		errors.Is(err, zk.ErrSessionMoved) ||
		SessionEnded(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled)
}

// Transient reports whether an operation that failed with err may succeed
// if tried again later, on this session or the next: Unanswered, or no
// server reachable for now (zk.ErrNoServer).
func Transient(err error) bool {
	return Unanswered(err) || errors.Is(err, zk.ErrNoServer)
}

// FailedOp returns the index and error of the operation that made a
// transaction fail, or -1 and nil if none did (no reply, or success).
// ZooKeeper answers a failed transaction with no error for the operations
// before the culprit, the culprit's own error, and "runtime inconsistency"
// (code -2, for which go-zookeeper has no sentinel) for those after it, so
// the first error is the culprit's (TestFailedOpMatchesTheServer pins it).
func FailedOp(res []zk.MultiResponse) (int, error) {
	for i, r := range res {
		if r.Error != nil {
			return i, r.Error
		}
	}
	return -1, nil
}

// MaxDrops is how many attempts in a row of one operation may end with a
// drop before it fails instead of sending its request again. A connection
// lost by chance rarely closes exactly while the same request is
// outstanding three times running; a request the server refuses by closing
// the connection (one above its jute.maxbuffer) does so every time, and
// every drop suspends what the session holds.
const MaxDrops = 3

// Drops counts one operation's consecutive attempts that ended with a drop.
type Drops struct{ n int }

// Note records an attempt's error and reports whether it was the MaxDrops-th
// drop in a row. A request flushed unsent (zk.ErrNoServer) leaves the
// count as it was; any other outcome resets it.
func (d *Drops) Note(err error) bool {
	if errors.Is(err, zk.ErrNoServer) {
		return false
	}
	if !Dropped(err) {
		d.n = 0
		return false
	}
	d.n++
	return d.n >= MaxDrops
}

// N is the number of drops in a row so far.
func (d *Drops) N() int { return d.n }
