package cleanup

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// fakeSession records deletes; no server is needed to test the routine.
type fakeSession struct {
	mu        sync.Mutex
	connected bool
	ended     error
	errs      []error // returned by successive deletes, then nil
	deletes   []string
	ctxErrs   []error // each delete's ctx.Err() when called
	deadlines []time.Duration
}

func (s *fakeSession) Delete(ctx context.Context, p string, _ int32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deletes = append(s.deletes, p)
	s.ctxErrs = append(s.ctxErrs, ctx.Err())
	if d, ok := ctx.Deadline(); ok {
		s.deadlines = append(s.deadlines, time.Until(d))
	}
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return err
	}
	return nil
}
func (s *fakeSession) Connected() bool        { return s.connected }
func (s *fakeSession) Err() error             { return s.ended }
func (s *fakeSession) Timeout() time.Duration { return time.Second }

// spawner runs fns synchronously and counts them.
type spawner struct {
	closed bool
	n      int
}

func (sp *spawner) spawn(fn func(context.Context)) bool {
	if sp.closed {
		return false
	}
	sp.n++
	fn(context.Background())
	return true
}

func TestDelete(t *testing.T) {
	other := errors.New("no auth")
	cases := []struct {
		name  string
		err   error
		ended error
		want  error
	}{
		{"deleted", nil, nil, nil},
		{"already gone", zk.ErrNoNode, nil, nil},
		{"gone with the session", errors.New("session lost"), errors.New("session lost"), nil},
		{"failed", other, nil, other},
	}
	for _, c := range cases {
		s := &fakeSession{errs: []error{c.err}, ended: c.ended}
		if got := Delete(context.Background(), s, "/n"); got != c.want {
			t.Errorf("%s: Delete = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRemove(t *testing.T) {
	fail := errors.New("connection closed")
	cases := []struct {
		name      string
		s         *fakeSession
		wantGone  bool
		wantErr   error
		wantNow   int // deletes made before Remove returns, Later's included
		wantLater int // goroutines handed a delete
	}{
		{"session ended: nothing to do", &fakeSession{ended: errors.New("lost")}, true, nil, 0, 0},
		{"connected: deleted now", &fakeSession{connected: true}, true, nil, 1, 0},
		{"connected, delete fails: later too", &fakeSession{connected: true, errs: []error{fail}}, false, fail, 2, 1},
		// A partitioned holder's release does not wait for the connection.
		{"suspended: later at once", &fakeSession{}, false, nil, 1, 1},
	}
	for _, c := range cases {
		sp := &spawner{}
		gone, err := Remove(context.Background(), sp.spawn, c.s, "/n")
		if gone != c.wantGone || err != c.wantErr || len(c.s.deletes) != c.wantNow || sp.n != c.wantLater {
			t.Errorf("%s: Remove = %v, %v with %d deletes, %d later; want %v, %v, %d, %d",
				c.name, gone, err, len(c.s.deletes), sp.n, c.wantGone, c.wantErr, c.wantNow, c.wantLater)
		}
	}
}

func TestAbandonDetachesFromTheCallersCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &fakeSession{connected: true}
	sp := &spawner{}
	Abandon(ctx, sp.spawn, s, "/n")
	if len(s.deletes) != 1 || s.ctxErrs[0] != nil || sp.n != 0 {
		t.Fatalf("deletes %v with ctx errors %v, %d later: want one delete on a live ctx", s.deletes, s.ctxErrs, sp.n)
	}
	if d := s.deadlines[0]; d <= 0 || d > Now {
		t.Errorf("the attempt now may take %v, want at most %v", d, Now)
	}
}

func TestLaterIsBoundedByTheHorizon(t *testing.T) {
	s := &fakeSession{}
	sp := &spawner{}
	Later(sp.spawn, s, "/n")
	h := Horizon(s.Timeout())
	if len(s.deadlines) != 1 || s.deadlines[0] <= h-time.Second || s.deadlines[0] > h {
		t.Errorf("deadlines %v, want one near %v", s.deadlines, h)
	}
	if h <= 2*s.Timeout() {
		t.Errorf("Horizon(%v) = %v: must outlast the session's end after a disconnect", s.Timeout(), h)
	}
	if Detached((&spawner{closed: true}).spawn, time.Second, func(context.Context) { t.Error("ran on a closed client") }) {
		t.Error("Detached on a closed client reported true")
	}
}
