package zkrecipes_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A write whose ctx ends before its reply has either gone out by the time
// it returns or never will: a request the caller makes afterwards goes
// after it. Otherwise a cleanup after a cancelled create (what node.Node's
// Close does) finds nothing and the create lands behind it, leaving a
// node its owner was told is not there; a cancelled Set lands behind a
// later one and undoes it.
//
// Operations that go-zookeeper runs are started on a pooled goroutine for a
// cancellable ctx; the hook holds that goroutine so that ctx ends before
// the request is written, the gap a busy scheduler opens.
func TestIntegration_CancelledWrite_OrderedBeforeLaterRequests(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/set", []byte("0"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)

	cases := []struct {
		name  string
		write func(ctx context.Context) error
		later func() error            // what the caller does once write returned
		check func(t *testing.T) bool // the state after every request landed
	}{{
		name:  "create ephemeral, then delete it",
		write: func(ctx context.Context) error { _, err := c.Create(ctx, "/eph", nil, zkrecipes.Ephemeral); return err },
		later: func() error { return ignoreNoNode(c.Delete(ctx, "/eph", -1)) },
		check: func(t *testing.T) bool {
			ok, _, err := c.Exists(ctx, "/eph")
			require.NoError(t, err)
			return assert.False(t, ok, "the cancelled create landed after the delete")
		},
	}, {
		name: "create persistent, then delete it",
		write: func(ctx context.Context) error {
			_, err := c.Create(ctx, "/per", nil, zkrecipes.Persistent)
			return err
		},
		later: func() error { return ignoreNoNode(c.Delete(ctx, "/per", -1)) },
		check: func(t *testing.T) bool {
			ok, _, err := c.Exists(ctx, "/per")
			require.NoError(t, err)
			return assert.False(t, ok, "the cancelled create landed after the delete")
		},
	}, {
		name: "multi, then delete what it created",
		write: func(ctx context.Context) error {
			_, err := c.Multi(ctx, &zk.CreateRequest{Path: "/multi", Acl: zk.WorldACL(zk.PermAll)})
			return err
		},
		later: func() error { return ignoreNoNode(c.Delete(ctx, "/multi", -1)) },
		check: func(t *testing.T) bool {
			ok, _, err := c.Exists(ctx, "/multi")
			require.NoError(t, err)
			return assert.False(t, ok, "the cancelled multi landed after the delete")
		},
	}, {
		name:  "set, then set again",
		write: func(ctx context.Context) error { _, err := c.Set(ctx, "/set", []byte("cancelled"), -1); return err },
		later: func() error { _, err := c.Set(ctx, "/set", []byte("later"), -1); return err },
		check: func(t *testing.T) bool {
			data, _, err := c.Get(ctx, "/set")
			require.NoError(t, err)
			return assert.Equal(t, "later", string(data), "the cancelled set landed after the later one")
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entered, release, ran := make(chan struct{}), make(chan struct{}), make(chan struct{})
			var once sync.Once
			restore := zkrecipes.HoldCallsForTest(func(run func()) {
				held := false
				once.Do(func() { held = true })
				if !held {
					run()
					return
				}
				close(entered)
				<-release
				run()
				close(ran)
			})
			defer restore()

			wctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- tc.write(wctx) }()
			var werr error
			select {
			case <-entered: // held before its request went out: end ctx now
				cancel()
				werr = <-done
			case werr = <-done: // not run on a pooled goroutine: nothing to hold
				cancel()
			}
			if werr != nil {
				require.ErrorIs(t, werr, context.Canceled)
			}
			require.NoError(t, tc.later())
			restore()
			close(release)
			select {
			case <-entered:
				<-ran // the held write has had its reply
			default:
			}
			tc.check(t)
		})
	}
}

func ignoreNoNode(err error) error {
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	return err
}
