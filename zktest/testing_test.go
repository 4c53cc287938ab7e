package zktest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestContextEndsAtDeadlineAndWithTest(t *testing.T) {
	short := zktest.Context(t, 10*time.Millisecond)
	select {
	case <-short.Done():
		require.ErrorIs(t, short.Err(), context.DeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("Context did not end at its deadline")
	}

	var inner context.Context
	t.Run("sub", func(t *testing.T) { inner = zktest.Context(t, time.Hour) })
	require.ErrorIs(t, inner.Err(), context.Canceled, "a test's Context ends with the test")
}

func TestMust(t *testing.T) {
	require.Equal(t, 7, zktest.Must(7, nil))
	boom := errors.New("boom")
	require.PanicsWithError(t, "boom", func() { zktest.Must(0, boom) })
}

// A FaultyClient's dialer cuts its connections; at the end of the test the
// dialer is healed, so the namespace is removed even if the test left the
// client partitioned, and then closed (no redial outlives the test).
func TestFaultyClient(t *testing.T) {
	zktest.SkipIfShort(t)
	var (
		d  *zktest.FaultDialer
		ns string
	)
	t.Run("sub", func(t *testing.T) {
		var c *zkrecipes.Client
		c, d = zktest.FaultyClient(t)
		ns = c.Namespace()
		ctx := zktest.Context(t, 20*time.Second)
		s, err := c.WaitSession(ctx)
		require.NoError(t, err)
		_, err = c.Create(ctx, "/n", nil, zkrecipes.Persistent, zkrecipes.WithParents())
		require.NoError(t, err)
		require.Equal(t, 1, d.Dials())
		d.Cut()
		_, _, err = c.Exists(ctx, "/")
		require.NoError(t, err)
		require.Equal(t, 2, d.Dials(), "one redial after the cut")
		require.Same(t, s, c.Session(), "a cut keeps the session")
		d.Blackhole() // left partitioned: the cleanup heals before deleting the namespace
	})
	_, err := d.Dial("tcp", zktest.Servers(t)[0], time.Second)
	require.Error(t, err, "the dialer is closed with the test")
	ok, _, err := zktest.Client(t).Conn().Exists(ns)
	require.NoError(t, err)
	require.False(t, ok, "namespace %s left behind", ns)
}
