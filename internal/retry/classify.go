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
