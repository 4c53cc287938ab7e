package retry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/go-zookeeper/zk"
)

// TestClassifiers is the one table of which error means what (see the
// package doc): every predicate on every kind of error a recipe meets.
func TestClassifiers(t *testing.T) {
	netErr := &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}
	uncertain := errors.New("zkrecipes: outcome unknown") // stands for zkrecipes.ErrUncertain
	cases := []struct {
		name                                                  string
		err                                                   error
		dropped, retryable, unanswered, transient, sessionEnd bool
	}{
		{"connection closed", zk.ErrConnectionClosed, true, true, true, true, false},
		{"connection closed, wrapped", fmt.Errorf("op: %w", zk.ErrConnectionClosed), true, true, true, true, false},
		// go-zookeeper hands a failed socket write's own error to the
		// request: the queue once took it for a certain failure.
		{"socket write error", netErr, true, true, true, true, false},
		{"socket write error, wrapped", fmt.Errorf("op: %w", netErr), true, true, true, true, false},
		{"not sent: no server", zk.ErrNoServer, false, true, false, true, false},
		{"session moved", zk.ErrSessionMoved, false, true, true, true, false},
		{"session lost", fmt.Errorf("%w: %w", ErrSessionLost, zk.ErrSessionExpired), false, false, true, true, true},
		{"session lost, closed client", fmt.Errorf("%w (%w)", ErrSessionLost, errors.New("closed")), false, false, true, true, true},
		{"session expired", zk.ErrSessionExpired, false, false, true, true, true},
		{"ctx cancelled", context.Canceled, false, false, true, true, false},
		{"ctx deadline", fmt.Errorf("op: %w", context.DeadlineExceeded), false, false, true, true, false},
		{"no node", zk.ErrNoNode, false, false, false, false, false},
		{"node exists", zk.ErrNodeExists, false, false, false, false, false},
		{"bad version", zk.ErrBadVersion, false, false, false, false, false},
		{"server closing", zk.ErrClosing, false, false, false, false, false},
		{"already looked: uncertain", uncertain, false, false, false, false, false},
		{"runtime inconsistency", fmt.Errorf("unknown error: -2"), false, false, false, false, false},
		{"nil", nil, false, false, false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range []struct {
				name string
				f    func(error) bool
				want bool
			}{
				{"Dropped", Dropped, c.dropped},
				{"Retryable", Retryable, c.retryable},
				{"Unanswered", Unanswered, c.unanswered},
				{"Transient", Transient, c.transient},
				{"SessionEnded", SessionEnded, c.sessionEnd},
			} {
				if got := p.f(c.err); got != p.want {
					t.Errorf("%s(%v) = %v, want %v", p.name, c.err, got, p.want)
				}
			}
		})
	}
}

// TestClassifiersNest checks the inclusions the package doc states, over
// the errors of TestClassifiers' kinds.
func TestClassifiersNest(t *testing.T) {
	errs := []error{zk.ErrConnectionClosed, &net.OpError{Op: "read", Err: syscall.ECONNRESET}, zk.ErrNoServer,
		zk.ErrSessionMoved, ErrSessionLost, zk.ErrSessionExpired, context.Canceled, context.DeadlineExceeded,
		zk.ErrNoNode, zk.ErrBadVersion}
	for _, err := range errs {
		if Dropped(err) && !(Retryable(err) && Unanswered(err)) {
			t.Errorf("%v: a drop must be retryable and unanswered", err)
		}
		if Unanswered(err) && !Transient(err) {
			t.Errorf("%v: an unanswered write must be transient", err)
		}
		if SessionEnded(err) && (Retryable(err) || !Unanswered(err)) {
			t.Errorf("%v: a session's end is never retried on it, and leaves its writes open", err)
		}
	}
}

func TestFailedOp(t *testing.T) {
	rolledBack := fmt.Errorf("unknown error: -2") // go-zookeeper's error for code -2
	cases := []struct {
		name    string
		res     []zk.MultiResponse
		want    int
		wantErr error
	}{
		{"no reply", nil, -1, nil},
		{"success", []zk.MultiResponse{{}, {}}, -1, nil},
		{"first fails", []zk.MultiResponse{{Error: zk.ErrNodeExists}, {Error: rolledBack}}, 0, zk.ErrNodeExists},
		{"middle fails", []zk.MultiResponse{{}, {Error: zk.ErrBadVersion}, {Error: rolledBack}}, 1, zk.ErrBadVersion},
		{"last fails", []zk.MultiResponse{{}, {}, {Error: zk.ErrNoNode}}, 2, zk.ErrNoNode},
	}
	for _, c := range cases {
		i, err := FailedOp(c.res)
		if i != c.want || err != c.wantErr {
			t.Errorf("%s: FailedOp = %d, %v; want %d, %v", c.name, i, err, c.want, c.wantErr)
		}
	}
}
