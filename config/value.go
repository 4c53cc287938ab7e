package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
)

// Value is a configuration value of type T kept in one node and followed
// through a [cache.Node]: reads come from memory, writes are
// compare-and-set on the node's version. A Value is safe for concurrent
// use.
type Value[T any] struct {
	c     *zkrecipes.Client
	n     *cache.Node
	o     options
	codec codec[T]
}

// Current is a value with the stat of the node it was decoded from; pass
// its Version to [Value.CompareAndSet].
type Current[T any] struct {
	Value   T
	Version int32
	Stat    zk.Stat
}

// Absent is the version to give CompareAndSet to create the node only if
// it does not exist.
const Absent int32 = -1

// New returns a Value of the node at path, which need not exist. It does
// no I/O: Start loads it. An invalid path or option (a codec for another
// type than T) is an error wrapping [zkrecipes.ErrInvalidPath] or
// [zkrecipes.ErrInvalidArgument]; a nil c panics.
func New[T any](c *zkrecipes.Client, path string, opts ...Option) (*Value[T], error) {
	o, cd, err := construct[T](c, path, opts)
	if err != nil {
		return nil, err
	}
	n, err := cache.NewNode(c, path)
	if err != nil {
		return nil, fmt.Errorf("config: New: %w", err)
	}
	return &Value[T]{c: c, n: n, o: o, codec: cd}, nil
}

// Path returns the node's path, relative to the namespace.
func (v *Value[T]) Path() string { return v.n.Path() }

// Start reads the node and follows it until Close. It returns once the
// node was read (present or not), or when ctx is done or the client is
// closed; on failure the Value is closed.
func (v *Value[T]) Start(ctx context.Context) error {
	if err := v.n.Start(ctx); err != nil {
		return fmt.Errorf("config: start %s: %w", v.n.Path(), err)
	}
	return nil
}

// Close stops following the node. It is idempotent.
func (v *Value[T]) Close() { v.n.Close() }

// Get returns the current value, from memory: [ErrAbsent] while the node
// does not exist (a deleted node is absent, not its last value), the
// decoder's error if its data do not decode.
func (v *Value[T]) Get() (Current[T], error) {
	en, ok := v.n.Get()
	if !ok {
		return Current[T]{}, ErrAbsent
	}
	return v.decode(en)
}

func (v *Value[T]) decode(en *cache.Entry) (Current[T], error) {
	x, err := v.codec.decode(en.Data)
	if err != nil {
		return Current[T]{}, fmt.Errorf("config: decode %s (version %d): %w", en.Path, en.Stat.Version, err)
	}
	return Current[T]{Value: x, Version: en.Stat.Version, Stat: en.Stat}, nil
}

// Stale reports whether the value may be out of date, and since when (see
// [cache.Node.Stale]).
func (v *Value[T]) Stale() (bool, time.Time) { return v.n.Stale() }

// Wait returns the current value once the node exists, waiting for it
// until ctx is done or the Value is closed. A node whose data do not
// decode returns the decoder's error.
func (v *Value[T]) Wait(ctx context.Context) (Current[T], error) {
	sub := v.n.Subscribe()
	defer sub.Close()
	for {
		if cur, err := v.Get(); !errors.Is(err, ErrAbsent) {
			return cur, err
		}
		if _, err := sub.Next(ctx); err != nil {
			return Current[T]{}, fmt.Errorf("config: wait for %s: %w", v.n.Path(), err)
		}
	}
}

// Set writes x whatever the node holds, creating the node (and its
// parents, as containers) if it does not exist. Errors are those of
// [zkrecipes.Ops.Set] and [zkrecipes.Ops.Create].
func (v *Value[T]) Set(ctx context.Context, x T) error {
	data, err := v.encode(x)
	for err == nil {
		if _, err = v.c.Set(ctx, v.n.Path(), data, -1); !errors.Is(err, zk.ErrNoNode) {
			break
		}
		_, err = v.c.Create(ctx, v.n.Path(), data, zkrecipes.Persistent, v.o.createOpts()...)
		if !errors.Is(err, zk.ErrNodeExists) {
			break
		}
		// Created meanwhile (or by our own create, whose reply was lost):
		// set it again.
	}
	if err != nil {
		return fmt.Errorf("config: set %s: %w", v.n.Path(), err)
	}
	return nil
}

// CompareAndSet writes x only if the node is still at version (from
// [Current.Version]), or with [Absent] only if it does not exist, and
// reports whether it wrote. A write that lost to another one returns
// false and no error; an outcome the client cannot know (a lost reply)
// returns an error matching [zkrecipes.ErrUncertain].
func (v *Value[T]) CompareAndSet(ctx context.Context, version int32, x T) (bool, error) {
	data, err := v.encode(x)
	if err != nil {
		return false, err
	}
	p := v.n.Path()
	if version == Absent {
		_, err = v.c.Create(ctx, p, data, zkrecipes.Persistent, v.o.createOpts()...)
		if errors.Is(err, zk.ErrNodeExists) {
			err = v.lostCreate(ctx, data)
		}
	} else {
		_, err = v.c.Set(ctx, p, data, version)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, zkrecipes.ErrUncertain):
	case errors.Is(err, zk.ErrBadVersion), errors.Is(err, zk.ErrNodeExists), errors.Is(err, zk.ErrNoNode):
		return false, nil
	}
	return false, fmt.Errorf("config: compare and set %s: %w", p, err)
}

// lostCreate tells a create that found the node there from one whose own
// first attempt landed before its reply was lost: the client reports both
// as NodeExists. A node at version 0 with our data may be either.
func (v *Value[T]) lostCreate(ctx context.Context, data []byte) error {
	cur, st, err := v.c.Get(ctx, v.n.Path())
	if err != nil {
		return zk.ErrNodeExists // gone again: someone else's, and not ours to report
	}
	if st.Version == 0 && bytes.Equal(cur, data) {
		return fmt.Errorf("%w (%w)", zkrecipes.ErrUncertain, zk.ErrNodeExists)
	}
	return zk.ErrNodeExists
}

func (v *Value[T]) encode(x T) ([]byte, error) {
	data, err := v.codec.encode(x)
	if err != nil {
		return nil, fmt.Errorf("config: encode for %s: %w", v.n.Path(), err)
	}
	return data, nil
}
