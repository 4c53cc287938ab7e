package zkrecipes_test

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// faultSession connects a client whose connections d can fault and
// returns its session, with a ctx for the test.
func faultSession(t *testing.T) (*zktest.FaultDialer, *zkrecipes.Client, *zkrecipes.Session, context.Context) {
	t.Helper()
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 30*time.Second)
	s, err := c.WaitSession(ctx)
	require.NoError(t, err)
	return d, c, s, ctx
}

// CreateAndList sends the listing right behind the create, so the listing
// holds the new node; after a lost create reply it still returns the one
// node created (its listing is then checked by the caller).
func TestIntegration_Session_CreateAndList(t *testing.T) {
	zktest.SkipIfShort(t)
	d, c, s, ctx := faultSession(t)
	for i := range 20 {
		from := len(d.Sent())
		p, kids, st, err := seam.CreateAndList(ctx, s, "/dir/n-", nil, zkrecipes.EphemeralSequential, zkrecipes.WithParents())
		require.NoError(t, err)
		require.NotNil(t, st)
		assert.Len(t, kids.Names, i+1)
		assert.True(t, slices.Contains(kids.Names, zkpath.Base(p)), "listing %v lacks %s", kids.Names, p)
		kids.Release()
		ops := firstRequests(d.Sent()[from:], 2)
		assert.Equal(t, zktest.OpGetChildren2, ops[len(ops)-1], "the listing follows the create: %v", ops)
	}
	d.CutAfterRequest(zktest.OpCreate)
	if !d.Armed() {
		t.Fatal("not armed")
	}
	p, _, _, err := seam.CreateAndList(ctx, s, "/dir/n-", nil, zkrecipes.EphemeralSequential)
	require.NoError(t, err)
	assert.False(t, d.Armed(), "the create's reply was lost")
	kids, _, err := c.Children(ctx, "/dir")
	require.NoError(t, err)
	assert.Len(t, kids, 21, "one node per call")
	assert.True(t, slices.Contains(kids, zkpath.Base(p)))
}

// Cancelled while its create is in flight, CreateAndList returns at once
// and the node, which lands anyway, is deleted; cancelled later, it
// returns the node's path with the error, and the node is the caller's.
func TestIntegration_Session_CreateAndListCancelled(t *testing.T) {
	zktest.SkipIfShort(t)
	d, c, s, ctx := faultSession(t)
	// The parent exists: a create cancelled before the parent is made
	// leaves nothing, not even the parent.
	_, err := c.Create(ctx, "/cancelled", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	for _, create := range []struct {
		name string
		fn   func(ctx context.Context) (string, error)
	}{
		{"CreateAndList", func(ctx context.Context) (string, error) {
			p, _, _, err := seam.CreateAndList(ctx, s, "/cancelled/n-", nil, zkrecipes.EphemeralSequential, zkrecipes.WithParents())
			return p, err
		}},
		{"Create", func(ctx context.Context) (string, error) {
			return s.Create(ctx, "/cancelled/n-", nil, zkrecipes.EphemeralSequential, zkrecipes.WithParents())
		}},
	} {
		t.Run(create.name, func(t *testing.T) {
			abandoned := 0
			for range 20 {
				from := len(d.Sent())
				cctx, cancel := context.WithCancel(ctx)
				go func() {
					for !slices.Contains(d.Sent()[from:], zktest.OpCreate) {
						runtime.Gosched()
					}
					cancel()
				}()
				p, err := create.fn(cctx)
				cancel()
				if err == nil {
					require.NoError(t, c.Delete(ctx, p, -1), "the returned node exists")
					continue
				}
				require.ErrorIs(t, err, context.Canceled)
				if p == "" {
					abandoned++
				} else {
					require.NoError(t, c.Delete(ctx, p, -1), "the returned node exists")
				}
				// While connected the cancelled call returns only once the
				// node of its abandoned create is gone.
				kids, _, err := c.Children(ctx, "/cancelled")
				require.NoError(t, err)
				require.Empty(t, kids, "a cancelled create left its node on return")
			}
			t.Logf("%d of 20 cancelled with the create in flight", abandoned)
		})
	}
}

// A create refused before it is sent fails CreateAndList at once.
func TestIntegration_Session_CreateAndListRefused(t *testing.T) {
	zktest.SkipIfShort(t)
	_, _, s, _ := faultSession(t)
	big := make([]byte, zkrecipes.MaxDataSize+1)
	done := make(chan error, 1)
	go func() {
		// A ctx that is never done: nothing but the refusal can end it.
		_, _, _, err := seam.CreateAndList(context.Background(), s, "/refused/n-", big, zkrecipes.EphemeralSequential, zkrecipes.WithParents())
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	case <-time.After(5 * time.Second):
		t.Fatal("CreateAndList hangs after its create was refused")
	}
}
