package retry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-zookeeper/zk"
)

func TestRetryable(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{zk.ErrConnectionClosed, true},
		{fmt.Errorf("wrapped: %w", zk.ErrConnectionClosed), true},
		{zk.ErrNoServer, true},
		{zk.ErrSessionMoved, true},
		{&net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}, true},
		{fmt.Errorf("wrapped: %w", &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}), true},
		{zk.ErrSessionExpired, false},
		{zk.ErrNoNode, false},
		{zk.ErrNodeExists, false},
		{zk.ErrBadVersion, false},
		{zk.ErrClosing, false},
		{context.Canceled, false},
	}
	for _, c := range cases {
		if got := Retryable(c.err); got != c.want {
			t.Errorf("Retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestDefaultIsCappedAndUnbounded(t *testing.T) {
	b := Default()
	var last time.Duration
	for i := 0; i < 40; i++ {
		last = b.NextBackOff()
		if last == backoff.Stop {
			t.Fatalf("default policy stopped after %d attempts", i)
		}
	}
	if last > 1300*time.Millisecond {
		t.Errorf("interval grew to %v, want capped near 1s", last)
	}
}

func TestWaitStopsOnContextAndStop(t *testing.T) {
	slow := backoff.NewConstantBackOff(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, err := Wait(ctx, slow, nil, nil); ok || !errors.Is(err, context.Canceled) {
		t.Errorf("Wait(cancelled) = %v, %v", ok, err)
	}
	stop := make(chan struct{})
	close(stop)
	errStop := errors.New("stopped")
	if ok, err := Wait(context.Background(), slow, stop, errStop); ok || err != errStop {
		t.Errorf("Wait(stop) = %v, %v", ok, err)
	}
	if ok, err := Wait(context.Background(), &backoff.StopBackOff{}, nil, nil); ok || err != nil {
		t.Errorf("Wait(StopBackOff) = %v, %v", ok, err)
	}
	if ok, err := Wait(context.Background(), &backoff.ZeroBackOff{}, nil, nil); !ok || err != nil {
		t.Errorf("Wait(ZeroBackOff) = %v, %v", ok, err)
	}
}

func TestDropsCountsConsecutiveDropsOnly(t *testing.T) {
	var d Drops
	steps := []struct {
		err  error
		want bool
	}{
		{zk.ErrConnectionClosed, false},
		{&net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}, false},
		{zk.ErrNoServer, false}, // never sent: counts for nothing
		{fmt.Errorf("wrapped: %w", zk.ErrConnectionClosed), true},
		{zk.ErrNoNode, false}, // a reply: resets
		{zk.ErrConnectionClosed, false},
		{zk.ErrConnectionClosed, false},
		{zk.ErrConnectionClosed, true},
		{nil, false},
		{zk.ErrConnectionClosed, false},
	}
	for i, s := range steps {
		if got := d.Note(s.err); got != s.want {
			t.Errorf("step %d: Note(%v) = %v, want %v", i, s.err, got, s.want)
		}
	}
	if d.N() != 1 {
		t.Errorf("N() = %d, want 1", d.N())
	}
	if Dropped(zk.ErrSessionMoved) || Dropped(zk.ErrNoServer) || Dropped(context.Canceled) {
		t.Error("Dropped counts a request that cannot have been lost in flight")
	}
}
