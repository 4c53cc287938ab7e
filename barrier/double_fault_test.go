package barrier_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func enterAsync(ctx context.Context, d *barrier.Double) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- d.Enter(ctx) }()
	return ch
}

func leaveAsync(ctx context.Context, d *barrier.Double) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- d.Leave(ctx) }()
	return ch
}

func members(t *testing.T, c *zkrecipes.Client, p string) int {
	t.Helper()
	kids, _, err := c.Children(context.Background(), p)
	if err != nil {
		return 0
	}
	return len(kids)
}

func waitMembers(t *testing.T, c *zkrecipes.Client, p string, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return members(t, c, p) == n }, 10*time.Second, 10*time.Millisecond,
		"waiting for %d members under %s", n, p)
}

func result(t *testing.T, ch <-chan error, within time.Duration) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(within):
		t.Fatalf("no result within %v", within)
		return nil
	}
}

func assertBlocked(t *testing.T, ch <-chan error, what string) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("%s returned early: %v", what, err)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestIntegration_Double_TooManyMembers(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	cs, _ := clientsAt(t, 5)
	ds := make([]*barrier.Double, 5)
	chs := make([]<-chan error, 4)
	for i := range ds {
		ds[i] = zktest.Must(barrier.NewDouble(cs[i], "/b", 3))
	}
	for i := range chs {
		chs[i] = enterAsync(ctx, ds[i])
	}
	var passed []int
	refused := 0
	for i, ch := range chs {
		err := result(t, ch, 10*time.Second)
		switch {
		case err == nil:
			passed = append(passed, i)
		case errors.Is(err, barrier.ErrTooManyMembers):
			refused++
		default:
			t.Fatalf("member %d: %v", i, err)
		}
	}
	require.Len(t, passed, 3, "exactly members pass Enter")
	require.Equal(t, 1, refused)
	assert.Equal(t, 3, members(t, cs[0], "/b"), "the refused member left no node")

	// While the round is under way, a newcomer is refused at once.
	assert.ErrorIs(t, ds[4].Enter(ctx), barrier.ErrTooManyMembers)
	assert.Equal(t, 3, members(t, cs[0], "/b"))

	var leaves []<-chan error
	for _, i := range passed {
		leaves = append(leaves, leaveAsync(ctx, ds[i]))
	}
	for _, ch := range leaves {
		require.NoError(t, result(t, ch, 10*time.Second))
	}

	// The path is free again: a new round of 3 forms.
	var again []<-chan error
	for _, i := range []int{0, 3, 4} {
		again = append(again, enterAsync(ctx, ds[i]))
	}
	for _, ch := range again {
		require.NoError(t, result(t, ch, 10*time.Second))
	}
	for _, i := range []int{0, 3, 4} {
		again = append(again, leaveAsync(ctx, ds[i]))
	}
	for _, ch := range again[3:] {
		require.NoError(t, result(t, ch, 10*time.Second))
	}
}

func TestIntegration_Double_CancelEnterRemovesNode(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	d := zktest.Must(barrier.NewDouble(c, "/b", 2))
	ectx, cancel := context.WithCancel(ctx)
	ch := enterAsync(ectx, d)
	waitMembers(t, c, "/b", 1)
	cancel()
	err := result(t, ch, 5*time.Second)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, members(t, c, "/b"), "cancelled Enter left its node")
	assert.ErrorIs(t, d.Leave(ctx), barrier.ErrNotEntered)
}

func TestIntegration_Double_CancelLeaveRemovesNode(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	cs, _ := clientsAt(t, 2)
	a, b := zktest.Must(barrier.NewDouble(cs[0], "/b", 2)), zktest.Must(barrier.NewDouble(cs[1], "/b", 2))
	ea, eb := enterAsync(ctx, a), enterAsync(ctx, b)
	require.NoError(t, result(t, ea, 10*time.Second))
	require.NoError(t, result(t, eb, 10*time.Second))

	lctx, cancel := context.WithCancel(ctx)
	la := leaveAsync(lctx, a)
	waitMembers(t, cs[0], "/b", 1) // a's node is gone, a waits for b
	assertBlocked(t, la, "Leave with a member still inside")
	cancel()
	assert.ErrorIs(t, result(t, la, 5*time.Second), context.Canceled)
	assert.Equal(t, 1, members(t, cs[0], "/b"))
	require.NoError(t, result(t, leaveAsync(ctx, b), 10*time.Second))
}

// A member that crashes before the round is complete no longer counts:
// the others wait until enough members have arrived.
func TestIntegration_Double_CrashBeforeReady(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	srv := zktest.Servers(t)
	ca, cc, cd := zktest.ClientAt(t, srv, ns), zktest.ClientAt(t, srv, ns), zktest.ClientAt(t, srv, ns)
	crash, err := zkrecipes.Connect(ctx, srv, zkrecipes.WithNamespace(ns))
	require.NoError(t, err)
	defer crash.Close()

	a := enterAsync(ctx, zktest.Must(barrier.NewDouble(ca, "/b", 3)))
	b := enterAsync(ctx, zktest.Must(barrier.NewDouble(crash, "/b", 3)))
	waitMembers(t, ca, "/b", 2)
	crash.Close() // its session ends and its node with it
	assert.Error(t, result(t, b, 5*time.Second))
	waitMembers(t, ca, "/b", 1)

	c := enterAsync(ctx, zktest.Must(barrier.NewDouble(cc, "/b", 3)))
	waitMembers(t, ca, "/b", 2)
	assertBlocked(t, a, "Enter with 2 of 3 members")
	assertBlocked(t, c, "Enter with 2 of 3 members")
	dd := zktest.Must(barrier.NewDouble(cd, "/b", 3))
	require.NoError(t, dd.Enter(ctx))
	require.NoError(t, result(t, a, 10*time.Second))
	require.NoError(t, result(t, c, 10*time.Second))
}

// A member that crashes after the round is complete is dropped: the
// others' Leave completes once the server expires its session.
func TestIntegration_Double_CrashDuringLeave(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	srv := zktest.Servers(t)
	ca, cb := zktest.ClientAt(t, srv, ns), zktest.ClientAt(t, srv, ns)
	cc, fd := zktest.FaultyClientAt(t, srv, ns, zkrecipes.WithSessionTimeout(time.Second))
	a, b, c := zktest.Must(barrier.NewDouble(ca, "/b", 3)), zktest.Must(barrier.NewDouble(cb, "/b", 3)), zktest.Must(barrier.NewDouble(cc, "/b", 3))
	chs := []<-chan error{enterAsync(ctx, a), enterAsync(ctx, b), enterAsync(ctx, c)}
	for _, ch := range chs {
		require.NoError(t, result(t, ch, 10*time.Second))
	}
	la, lb := leaveAsync(ctx, a), leaveAsync(ctx, b)
	waitMembers(t, ca, "/b", 1)
	assertBlocked(t, la, "Leave with a member inside")

	t0 := time.Now()
	fd.Blackhole() // c crashes: partitioned until its session expires
	require.NoError(t, result(t, la, 15*time.Second))
	require.NoError(t, result(t, lb, 15*time.Second))
	t.Logf("leave done after %v", time.Since(t0))
	assert.Equal(t, 0, members(t, ca, "/b"))
	fd.Heal()
	err := c.Leave(ctx)
	t.Logf("crashed leave done after %v", time.Since(t0))
	assert.ErrorIs(t, err, zkrecipes.ErrSessionLost, "the crashed member learns it lost its session")
}

func TestIntegration_Double_SessionLossInEnter(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c, fd := zktest.FaultyClient(t, zkrecipes.WithSessionTimeout(time.Second))
	d := zktest.Must(barrier.NewDouble(c, "/b", 2))
	ch := enterAsync(ctx, d)
	waitMembers(t, c, "/b", 1)
	fd.Blackhole()
	assert.ErrorIs(t, result(t, ch, 15*time.Second), zkrecipes.ErrSessionLost)
	fd.Heal()
	// Enter works again on the next session; the lost node is gone.
	_, err := c.WaitSession(ctx)
	require.NoError(t, err)
	waitMembers(t, c, "/b", 0)
	one := zktest.Must(barrier.NewDouble(c, "/b1", 1))
	require.NoError(t, one.Enter(ctx))
	require.NoError(t, one.Leave(ctx))
}

func TestIntegration_Double_MembersMismatch(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	cs, _ := clientsAt(t, 2)
	a := enterAsync(ctx, zktest.Must(barrier.NewDouble(cs[0], "/b", 3)))
	waitMembers(t, cs[0], "/b", 1)
	b := zktest.Must(barrier.NewDouble(cs[1], "/b", 2))
	require.NoError(t, b.Enter(ctx), "b completes a round of 2")
	assert.ErrorIs(t, result(t, a, 10*time.Second), barrier.ErrMembersMismatch)
	require.NoError(t, b.Leave(ctx))
	waitMembers(t, cs[0], "/b", 0)
}

// A member whose node is deleted by someone else while it waits to enter
// fails with ErrNodeDeleted, the same name as lock's and election's. A
// waiter watches only the barrier node, so it notices at its next look:
// here, after the barrier node's data is rewritten unchanged.
func TestIntegration_Double_NodeDeletedInEnter(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	c := zktest.Client(t)
	d := zktest.Must(barrier.NewDouble(c, "/b", 2))
	ch := enterAsync(ctx, d)
	waitMembers(t, c, "/b", 1)
	kids, _, err := c.Children(ctx, "/b")
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, "/b/"+kids[0], -1))
	data, _, err := c.Get(ctx, "/b")
	require.NoError(t, err)
	_, err = c.Set(ctx, "/b", data, -1)
	require.NoError(t, err)
	assert.ErrorIs(t, result(t, ch, 10*time.Second), barrier.ErrNodeDeleted)
}
