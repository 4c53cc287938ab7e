package lock_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A Mutex handle that locks again and again with nobody else around costs
// one create per Lock: the create's sequence number proves it alone (see
// contend.Warm). These tests check that it does, and that it lists as
// before whenever that proof does not hold.

// warmMutex is a Mutex on /rl whose client's requests d records, warmed
// up: two uncontended holds, then the parent watch armed.
type warmMutex struct {
	ctx   context.Context
	admin *zkrecipes.Client
	c     *zkrecipes.Client
	d     *zktest.FaultDialer
	m     *lock.Mutex
	last  int64 // token of the last hold
}

func newWarmMutex(t *testing.T, sessionTimeout time.Duration) *warmMutex {
	ns, cs := clients(t, 1)
	w := &warmMutex{ctx: zktest.Context(t, 30*time.Second), admin: cs[0]}
	w.c, w.d = faultClient(t, ns, sessionTimeout)
	w.m = zktest.Must(lock.NewMutex(w.c, "/rl"))
	from := len(w.d.Sent())
	w.cycle(t)
	w.cycle(t)
	require.Eventually(t, func() bool { return slices.Contains(w.d.Sent()[from:], zktest.OpGetData) }, 10*time.Second, time.Millisecond,
		"the handle set no watch on the lock's parent")
	return w
}

// cycle locks and unlocks once, checking that the token grew, and returns
// the requests it sent (pings left out).
func (w *warmMutex) cycle(t *testing.T) []int32 {
	t.Helper()
	from := len(w.d.Sent())
	require.NoError(t, w.m.Lock(w.ctx))
	require.Len(t, ephemerals(t, w.admin, "/rl"), 1, "the hold has no node")
	tok := w.m.Token()
	require.Greater(t, tok, w.last, "tokens must grow")
	w.last = tok
	require.NoError(t, w.m.Unlock(w.ctx))
	return requestsSince(w.d, from)
}

func requestsSince(d *zktest.FaultDialer, from int) []int32 {
	var out []int32
	for _, op := range d.Sent()[from:] {
		if op != zktest.OpPing {
			out = append(out, op)
		}
	}
	return out
}

func TestIntegration_Mutex_RelockWithOneCreate(t *testing.T) {
	zktest.SkipIfShort(t)
	w := newWarmMutex(t, 10*time.Second)
	for range 5 {
		assert.Equal(t, []int32{zktest.OpCreate, zktest.OpDelete}, w.cycle(t))
	}
	// Another holder breaks the chain; its token sits between ours.
	other := zktest.Must(lock.NewMutex(w.admin, "/rl"))
	require.NoError(t, other.Lock(w.ctx))
	theirs := other.Token()
	assert.Greater(t, theirs, w.last)
	// Our single create finds someone ahead: TryLock lists and gives up,
	// leaving no node; Lock waits.
	assert.ErrorIs(t, w.m.TryLock(w.ctx), lock.ErrLocked)
	assert.Len(t, ephemerals(t, w.admin, "/rl"), 1)
	short, cancel := context.WithTimeout(w.ctx, 300*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, w.m.Lock(short), context.DeadlineExceeded, "took the lock from its holder")
	require.NoError(t, other.Unlock(w.ctx))
	w.last = theirs
	assert.Contains(t, w.cycle(t), zktest.OpGetChildren2, "relocked without a listing after another holder")
}

// The parent was reaped and recreated, and someone else holds the lock in
// it under exactly the sequence number our next create would prove us
// alone with: the parent watch must stop the shortcut.
func TestIntegration_Mutex_RelockAfterParentRecreated(t *testing.T) {
	zktest.SkipIfShort(t)
	w := newWarmMutex(t, 10*time.Second)
	require.NoError(t, w.m.Lock(w.ctx))
	mine := ephemerals(t, w.admin, "/rl")
	require.Len(t, mine, 1)
	seq := seqOf(t, mine[0])
	require.NoError(t, w.m.Unlock(w.ctx))

	require.NoError(t, w.admin.Delete(w.ctx, "/rl", -1))
	var foreign []string
	for range seq + 1 { // sequence numbers 0..seq: ours will be seq+1
		p, err := w.admin.Create(w.ctx, "/rl/x-lock-", nil, zkrecipes.EphemeralSequential, zkrecipes.WithParents())
		require.NoError(t, err)
		foreign = append(foreign, p)
	}
	for _, p := range foreign[1:] {
		require.NoError(t, w.admin.Delete(w.ctx, p, -1))
	}
	short, cancel := context.WithTimeout(w.ctx, time.Second)
	defer cancel()
	err := w.m.Lock(short)
	if err == nil {
		nodes := ephemerals(t, w.admin, "/rl")
		require.NoError(t, w.m.Unlock(w.ctx))
		t.Fatalf("took the lock while %s held it (nodes %v)", foreign[0], nodes)
	}
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, w.admin.Delete(w.ctx, foreign[0], -1))
	w.cycle(t)
}

// After a reconnection the handle lists once, arms the watch again on the
// new connection, and then relocks with one create again.
func TestIntegration_Mutex_RelockAfterReconnect(t *testing.T) {
	zktest.SkipIfShort(t)
	w := newWarmMutex(t, 10*time.Second)
	dials := w.d.Dials()
	w.d.Cut()
	require.Eventually(t, func() bool { return w.d.Dials() > dials && w.c.State().IsConnected() }, 10*time.Second, time.Millisecond)
	from := len(w.d.Sent())
	assert.Contains(t, w.cycle(t), zktest.OpGetChildren2, "trusted a watch set on an earlier connection")
	require.Eventually(t, func() bool { return slices.Contains(w.d.Sent()[from:], zktest.OpGetData) }, 10*time.Second, time.Millisecond,
		"the watch was not armed again")
	assert.Equal(t, []int32{zktest.OpCreate, zktest.OpDelete}, w.cycle(t))
}

func seqOf(t *testing.T, p string) int {
	t.Helper()
	require.Greater(t, len(p), 10)
	n := 0
	for _, r := range p[len(p)-10:] {
		require.True(t, r >= '0' && r <= '9', "no sequence number in %s", p)
		n = n*10 + int(r-'0')
	}
	return n
}

// A new session neither trusts the last session's chain nor its watch: it
// lists, arms a watch of its own, and then relocks with one create.
func TestIntegration_Mutex_RelockAfterSessionLoss(t *testing.T) {
	zktest.SkipIfShort(t)
	w := newWarmMutex(t, 1500*time.Millisecond)
	old := w.c.Session()
	w.d.Blackhole()
	select {
	case <-old.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the session was not declared lost while partitioned")
	}
	w.d.Heal()
	from := len(w.d.Sent())
	assert.Contains(t, w.cycle(t), zktest.OpGetChildren2, "relocked alone on the last session's proof")
	require.NotEqual(t, old.ID(), w.c.Session().ID())
	w.cycle(t) // the second hold in the new session arms the watch
	require.Eventually(t, func() bool { return slices.Contains(w.d.Sent()[from:], zktest.OpGetData) }, 10*time.Second, time.Millisecond,
		"the new session armed no watch")
	assert.Equal(t, []int32{zktest.OpCreate, zktest.OpDelete}, w.cycle(t))
}

// Handles made per use share their session's watch on the lock's parent:
// go-zookeeper keeps every watch channel until the node changes, so one
// watch per handle would pile up on a parent that is never reaped.
func TestIntegration_Mutex_RelockHandlesShareOneWatch(t *testing.T) {
	zktest.SkipIfShort(t)
	ns, cs := clients(t, 1)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := cs[0].Create(ctx, "/pp", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	c, d := faultClient(t, ns, 10*time.Second)
	from := len(d.Sent())
	for range 20 {
		m := zktest.Must(lock.NewMutex(c, "/pp"))
		for range 3 {
			require.NoError(t, m.Lock(ctx))
			require.NoError(t, m.Unlock(ctx))
		}
	}
	n := 0
	for _, op := range d.Sent()[from:] {
		if op == zktest.OpGetData {
			n++
		}
	}
	assert.Equal(t, 1, n, "watches set on the parent")
}
