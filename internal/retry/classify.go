// Package retry is the one home of retrying: which errors may be retried
// and the backoff loop that waits between attempts.
package retry

import (
	"errors"

	"github.com/go-zookeeper/zk"
)

// Retryable reports whether err means the request may not have reached the
// server, or its reply was lost, while the session itself may still live.
// Only these errors are retried; session expiry never is, it surfaces as loss.
func Retryable(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) ||
		errors.Is(err, zk.ErrNoServer) ||
		errors.Is(err, zk.ErrSessionMoved)
}
