package counter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam"
)

// SharedCount is a 32-bit count in one znode that processes read, set and
// watch: Curator's SharedCount, byte-compatible with it. A SharedCount is
// safe for concurrent use.
type SharedCount struct {
	c    *zkrecipes.Client
	path string
	seed int32
	o    options
	w    *writer // shared by every AtomicLong and SharedCount of c on path
}

// Value is a count with the node version it was read at; pass it to
// [SharedCount.TrySet] to update only if nobody else has since.
type Value struct {
	Count   int32
	Version int32
}

// NewSharedCount returns a SharedCount on the node at path. It does no I/O;
// the first operation creates the node with seed if it does not exist
// (Curator's SharedCount.start). An invalid path or option is an error (as
// for NewAtomicLong); a nil c panics.
func NewSharedCount(c *zkrecipes.Client, path string, seed int32, opts ...Option) (*SharedCount, error) {
	o, err := construct("NewSharedCount", c, path, opts)
	if err != nil {
		return nil, err
	}
	return &SharedCount{c: c, path: path, seed: seed, o: o, w: writerFor(c, path)}, nil
}

// Path returns the count node's path, relative to the namespace.
func (s *SharedCount) Path() string { return s.path }

// Get returns the count and its version.
func (s *SharedCount) Get(ctx context.Context) (Value, error) {
	v, err := s.get(ctx)
	if err != nil {
		return Value{}, fmt.Errorf("counter: get %s: %w", s.path, err)
	}
	return v, nil
}

func (s *SharedCount) get(ctx context.Context) (Value, error) {
	for {
		data, st, err := s.c.Get(ctx, s.path)
		if errors.Is(err, zk.ErrNoNode) {
			_, err = s.c.Create(ctx, s.path, encodeInt32(s.seed), zkrecipes.Persistent, s.o.createOpts()...)
			if err == nil || errors.Is(err, zk.ErrNodeExists) {
				continue
			}
		}
		if err != nil {
			return Value{}, err
		}
		n, err := decodeInt32(data)
		if err != nil {
			return Value{}, err
		}
		return Value{Count: n, Version: st.Version}, nil
	}
}

// TrySet sets the count to n if the node is still at prev.Version, and
// reports whether it did. The write is applied exactly once even if its
// reply is lost; on error nothing was applied, except with
// [zkrecipes.ErrUncertain].
func (s *SharedCount) TrySet(ctx context.Context, prev Value, n int32) (bool, error) {
	for {
		sess, err := s.c.WaitSession(ctx)
		if err != nil {
			return false, fmt.Errorf("counter: try-set %s: %w", s.path, err)
		}
		_, err = s.w.set(ctx, sess, encodeInt32(n), prev.Version, s.o.acl)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, errConflict):
			return false, nil
		case errors.Is(err, errMissing):
			if _, err := s.get(ctx); err != nil { // recreate it with the seed
				return false, fmt.Errorf("counter: try-set %s: %w", s.path, err)
			}
			return false, nil
		case errors.Is(err, zkrecipes.ErrSessionLost) && !errors.Is(err, zkrecipes.ErrUncertain):
			continue // nothing was sent: try in the next session
		default:
			return false, fmt.Errorf("counter: try-set %s: %w", s.path, err)
		}
	}
}

// Set sets the count to n, whatever it was. It is a loop of versioned
// writes, so a Set retried after a lost reply never undoes someone else's
// later update.
func (s *SharedCount) Set(ctx context.Context, n int32) error {
	for attempt := 1; ; attempt++ {
		v, err := s.get(ctx)
		if err != nil {
			return fmt.Errorf("counter: set %s: %w", s.path, err)
		}
		ok, err := s.TrySet(ctx, v, n)
		if err != nil || ok {
			return err
		}
		if err := sleep(ctx, pause(s.o.backoffBase, s.o.backoffMax, attempt, rand.Int64N)); err != nil {
			return fmt.Errorf("counter: set %s: %w", s.path, err)
		}
	}
}

// Watch returns a channel that receives the count whenever it changes,
// starting with its current value. Like every other operation, Watch
// creates the node with the seed if it does not exist yet (so the first
// value arrives at once); if the node is deleted later, or cannot be
// created (no permission), Watch waits for it to be created and delivers
// its first value then. Delivery coalesces: the channel holds at most one
// value, and a newer value replaces one not yet received, so a slow reader
// sees the latest count and never blocks the client. The channel is
// closed when ctx is done or the client is closed. Watch survives
// connection and session loss (it reads again in the next session).
func (s *SharedCount) Watch(ctx context.Context) <-chan Value {
	out := make(chan Value, 1)
	started := seam.Go(s.c, func(life context.Context) {
		defer close(out)
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(life, cancel)()
		s.watch(wctx, out)
	})
	if !started {
		close(out)
	}
	return out
}

func (s *SharedCount) watch(ctx context.Context, out chan Value) {
	var last Value
	sent := false
	seeded := false // the node was created with the seed, or found, once
	pause := 50 * time.Millisecond
	for ctx.Err() == nil {
		// After a suspension, read again rather than trust the watch:
		// go-zookeeper can lose an event that happened while disconnected.
		susp := s.c.Session().Suspended()
		data, st, ch, err := s.c.GetW(ctx, s.path)
		if errors.Is(err, zk.ErrNoNode) && !seeded {
			// The first operation seeds the node (see NewSharedCount).
			_, err = s.c.Create(ctx, s.path, encodeInt32(s.seed), zkrecipes.Persistent, s.o.createOpts()...)
			if err == nil || errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoAuth) {
				seeded = true // made, or not ours to make: wait for it below
				continue
			}
		}
		if err == nil {
			seeded = true
		}
		if errors.Is(err, zk.ErrNoNode) {
			// Wait for it to be created. This watch stays on the server
			// if ctx ends first (ZooKeeper cannot remove it).
			var ok bool
			ok, _, ch, err = s.c.ExistsW(ctx, s.path)
			if err == nil && ok {
				continue
			}
		}
		switch {
		case errors.Is(err, zkrecipes.ErrClosed):
			return
		case err != nil:
			_ = sleep(ctx, pause) // connection trouble: the client reconnects
			pause = min(2*pause, time.Second)
			continue
		}
		pause = 50 * time.Millisecond
		if st != nil {
			if n, derr := decodeInt32(data); derr == nil {
				if v := (Value{Count: n, Version: st.Version}); !sent || v != last {
					publish(out, v)
					last, sent = v, true
				}
			}
		}
		select {
		case <-ch:
		case <-susp:
		case <-ctx.Done():
		}
	}
}

// publish replaces an undelivered value with v. Watch's goroutine is the
// only sender, so after the drain there is room and the send never blocks.
func publish(out chan Value, v Value) {
	select {
	case <-out:
	default:
	}
	out <- v
}
