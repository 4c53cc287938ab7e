package counter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

// AtomicLong is a 64-bit counter in one znode, byte-compatible with
// Curator's DistributedAtomicLong. Every operation is a versioned
// compare-and-set that is applied exactly once (see the package doc); on
// conflict it waits a jittered backoff, reads again and retries, and with
// [WithPromotionLock] it queues on a mutex after repeated conflicts.
// An AtomicLong is safe for concurrent use.
type AtomicLong struct {
	c    *zkrecipes.Client
	path string
	o    options
	w    *writer // shared by every AtomicLong and SharedCount of c on path
}

// Result describes one applied update.
type Result struct {
	Pre, Post int64 // the value just before and just after our write
	Attempts  int   // versioned writes tried (1 when uncontended)
	Promoted  bool  // the promotion lock was taken
}

// NewAtomicLong returns an AtomicLong on the node at path. It does no I/O;
// the node is created (with value 0) by the first operation that needs
// it. A missing node reads as 0, as in Curator. An invalid path is an
// error wrapping zkrecipes.ErrInvalidPath, an invalid option one wrapping
// zkrecipes.ErrInvalidArgument; a nil c panics (see the package doc,
// "Bad input").
func NewAtomicLong(c *zkrecipes.Client, path string, opts ...Option) (*AtomicLong, error) {
	o, err := construct("NewAtomicLong", c, path, opts)
	if err != nil {
		return nil, err
	}
	return &AtomicLong{c: c, path: path, o: o, w: writerFor(c, path)}, nil
}

// Path returns the counter node's path, relative to the namespace.
func (a *AtomicLong) Path() string { return a.path }

// Get returns the current value (0 if the node does not exist).
func (a *AtomicLong) Get(ctx context.Context) (int64, error) {
	data, st, err := a.c.Get(ctx, a.path)
	if errors.Is(err, zk.ErrNoNode) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("counter: get %s: %w", a.path, err)
	}
	v, err := decodeInt64(data)
	if err != nil {
		return 0, fmt.Errorf("counter: get %s: %w", a.path, err)
	}
	a.w.remember(data, st.Version)
	return v, nil
}

// Add adds delta and returns the values before and after. It blocks until
// the update is applied, ctx is done, or an error occurs; on error nothing
// was applied, except with [zkrecipes.ErrUncertain]. A sum outside the int64
// range is not written: Add returns [ErrOverflow] (with r.Pre the value
// that would have overflowed), where Curator's DistributedAtomicLong wraps
// around silently (Java long arithmetic).
func (a *AtomicLong) Add(ctx context.Context, delta int64) (Result, error) {
	overflow := false
	r, applied, err := a.apply(ctx, "add", func(cur int64) (int64, bool) {
		sum := cur + delta
		overflow = (delta > 0 && sum < cur) || (delta < 0 && sum > cur)
		return sum, !overflow
	})
	if err == nil && !applied && overflow {
		return r, fmt.Errorf("%w: %s: %d%+d", ErrOverflow, a.path, r.Pre, delta)
	}
	return r, err
}

// Increment is Add(ctx, 1).
func (a *AtomicLong) Increment(ctx context.Context) (Result, error) { return a.Add(ctx, 1) }

// Decrement is Add(ctx, -1).
func (a *AtomicLong) Decrement(ctx context.Context) (Result, error) { return a.Add(ctx, -1) }

// CompareAndSet sets the value to new if it is old, and reports whether it
// did. A false result is based on a fresh read of the node.
func (a *AtomicLong) CompareAndSet(ctx context.Context, old, new int64) (bool, error) {
	_, ok, err := a.apply(ctx, "compare-and-set", func(cur int64) (int64, bool) { return new, cur == old })
	return ok, err
}

// Set sets the value to v. Like every other update it is a versioned
// write, so a Set retried after a lost reply can never undo an update made
// by someone else in between.
func (a *AtomicLong) Set(ctx context.Context, v int64) error {
	_, _, err := a.apply(ctx, "set", func(int64) (int64, bool) { return v, true })
	return err
}

// apply runs one optimistic update: fn maps the current value to the new
// one, or declines (ok=false), which ends apply without writing.
func (a *AtomicLong) apply(ctx context.Context, op string, fn func(int64) (int64, bool)) (r Result, applied bool, err error) {
	var held *lock.Mutex
	defer func() {
		if held != nil {
			// Best effort: the node dies with its session anyway.
			_ = held.Unlock(context.WithoutCancel(ctx))
		}
	}()
	cur, version, fresh := a.recall()
	cached := fresh // fresh from the cache, not from a read by this call
	for {
		s, err := a.c.WaitSession(ctx)
		if err != nil {
			return r, false, fmt.Errorf("counter: %s %s: %w", op, a.path, err)
		}
		if !fresh {
			if cur, version, err = a.read(ctx); err != nil {
				return r, false, fmt.Errorf("counter: %s %s: %w", op, a.path, err)
			}
			fresh, cached = true, false
		}
		next, ok := fn(cur)
		if !ok && cached {
			fresh = false // decline only on what the server says now
			continue
		}
		if !ok {
			r.Pre, r.Post = cur, cur
			return r, false, nil
		}
		r.Attempts++
		_, err = a.w.set(ctx, s, encodeInt64(next), version, a.o.acl)
		switch {
		case err == nil:
			r.Pre, r.Post = cur, next
			return r, true, nil
		case errors.Is(err, errConflict), errors.Is(err, errMissing):
			fresh = false
		case errors.Is(err, zkrecipes.ErrSessionLost) && !errors.Is(err, zkrecipes.ErrUncertain):
			fresh = false // nothing was sent; go on in the next session
			continue
		default:
			return r, false, fmt.Errorf("counter: %s %s: %w", op, a.path, err)
		}
		if held == nil && a.o.lockPath != "" && r.Attempts >= a.o.promoteAfter {
			m, err := lock.NewMutex(a.c, a.o.lockPath) // path checked by NewAtomicLong
			if err == nil {
				err = m.Lock(ctx)
			}
			if err != nil {
				return r, false, fmt.Errorf("counter: %s %s: promotion lock: %w", op, a.path, err)
			}
			held, r.Promoted = m, true
		}
		if err := sleep(ctx, pause(a.o.backoffBase, a.o.backoffMax, r.Attempts, rand.Int64N)); err != nil {
			return r, false, fmt.Errorf("counter: %s %s: %w", op, a.path, err)
		}
	}
}

// read returns the node's value and version, creating it with value 0 if
// it does not exist.
func (a *AtomicLong) read(ctx context.Context) (int64, int32, error) {
	for {
		data, st, err := a.c.Get(ctx, a.path)
		if errors.Is(err, zk.ErrNoNode) {
			_, err = a.c.Create(ctx, a.path, encodeInt64(0), zkrecipes.Persistent, a.o.createOpts()...)
			if err == nil || errors.Is(err, zk.ErrNodeExists) {
				continue
			}
		}
		if err != nil {
			return 0, 0, err
		}
		v, err := decodeInt64(data)
		if err != nil {
			return 0, 0, err
		}
		a.w.remember(data, st.Version)
		return v, st.Version, nil
	}
}

// recall returns the value and version last seen through this client.
func (a *AtomicLong) recall() (int64, int32, bool) {
	data, version, ok := a.w.recall()
	if !ok {
		return 0, 0, false
	}
	v, err := decodeInt64(data)
	return v, version, err == nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
