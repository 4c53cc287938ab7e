// Package retry is the one home of retrying: which errors may be retried
// and the backoff loop that waits between attempts.
package retry

import (
	"errors"
	"net"

	"github.com/go-zookeeper/zk"
)

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
// loss.
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// Dropped reports whether err means the connection closed while the
// request was being written or awaited its reply: it may have reached the
// server. zk.ErrNoServer (flushed unsent) and zk.ErrSessionMoved (answered)
// are not drops.
func Dropped(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) || isNetError(err)
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
