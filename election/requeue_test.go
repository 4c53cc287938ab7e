package election_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// handJob is a Run job that reports each start on started and returns
// when told on stop.
type handJob struct {
	started chan struct{}
	stop    chan struct{}
}

func newHandJob() *handJob {
	return &handJob{started: make(chan struct{}, 8), stop: make(chan struct{}, 8)}
}

func (j *handJob) run(ctx context.Context) error {
	j.started <- struct{}{}
	select {
	case <-j.stop:
	case <-ctx.Done():
	}
	return nil
}

func (j *handJob) awaitStart(t *testing.T, what string) {
	t.Helper()
	select {
	case <-j.started:
	case <-time.After(15 * time.Second):
		t.Fatal(what)
	}
}

// nodesOf returns the names of the election's nodes whose data is id.
func nodesOf(t *testing.T, ctx context.Context, e *election.Election, id string) []string {
	t.Helper()
	ps, err := e.Participants(ctx)
	require.NoError(t, err)
	var names []string
	for _, p := range ps {
		if p.ID == id {
			names = append(names, p.Node)
		}
	}
	return names
}

// rig is participant a, elected on a client whose connection can be
// faulted, and, if asked for, b in line behind it, with a view of the
// election from a third client.
type rig struct {
	a, b   *handJob
	ac     *zkrecipes.Client
	ad     *zktest.FaultDialer
	ra, rb <-chan error
	view   *election.Election
}

func newRig(t *testing.T, ctx context.Context, withB bool) *rig {
	t.Helper()
	g := newGroup(t)
	r := &rig{a: newHandJob(), b: newHandJob()}
	r.ac, r.ad = g.faulty(10 * time.Second)
	r.ra = runAsync(ctx, r.ac, r.a.run, election.WithID("a"))
	r.a.awaitStart(t, "a was not elected")
	r.view = zktest.Must(election.New(g.client(), electionPath))
	if withB {
		r.rb = runAsync(ctx, g.client(), r.b.run, election.WithID("b"))
		require.Eventually(t, func() bool { return len(nodesOf(t, t.Context(), r.view, "b")) == 1 }, 10*time.Second, 5*time.Millisecond)
	}
	require.Len(t, nodesOf(t, t.Context(), r.view, "a"), 1)
	return r
}

// A Run whose job returns resigns and campaigns again in one transaction:
// its old node is deleted and its new one created by one multi, so the
// next participant, woken by the deletion, does not find a second write
// of ours ahead of its listing.
func TestIntegration_Run_RequeueIsOneTransaction(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := newRig(t, ctx, true)
	a, b, ad, ra, rb, view := r.a, r.b, r.ad, r.ra, r.rb, r.view
	old := nodesOf(t, ctx, view, "a")

	before := len(ad.Sent())
	a.stop <- struct{}{}
	b.awaitStart(t, "b was not elected after a's job returned")
	require.Eventually(t, func() bool { return len(nodesOf(t, ctx, view, "a")) == 1 }, 10*time.Second, 5*time.Millisecond, "a campaigns again")
	now := nodesOf(t, ctx, view, "a")
	assert.NotEqual(t, old, now, "a new node")
	l, err := view.Leader(ctx)
	require.NoError(t, err)
	assert.Equal(t, "b", l.ID)

	sent := ad.Sent()[before:]
	assert.Equal(t, 1, count(sent, zktest.OpMulti), "one transaction: %v", sent)
	assert.False(t, slices.Contains(sent, zktest.OpDelete), "no delete of its own: %v", sent)
	assert.False(t, slices.Contains(sent, zktest.OpCreate), "no create of its own: %v", sent)

	cancel()
	assert.ErrorIs(t, awaitRun(t, ra), context.Canceled)
	assert.ErrorIs(t, awaitRun(t, rb), context.Canceled)
}

// The requeue's transaction whose reply was lost is neither applied twice
// nor left half known: the participant ends up with exactly one node, its
// old one gone, and is elected again in its turn.
func TestIntegration_Run_RequeueReplyLost(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := newRig(t, ctx, true)
	a, b, ac, ad, ra, rb, view := r.a, r.b, r.ac, r.ad, r.ra, r.rb, r.view
	old := nodesOf(t, ctx, view, "a")
	session := ac.Session().ID()

	dials := ad.Dials()
	ad.CutAfterRequest(zktest.OpMulti)
	a.stop <- struct{}{}
	b.awaitStart(t, "b was not elected after a's job returned")
	require.Eventually(t, func() bool { return ad.Dials() > dials }, 10*time.Second, 5*time.Millisecond, "the reply was cut")
	require.Eventually(t, func() bool {
		ns := nodesOf(t, ctx, view, "a")
		return len(ns) == 1 && ns[0] != old[0]
	}, 10*time.Second, 5*time.Millisecond, "a has exactly one new node")
	assert.Equal(t, session, ac.Session().ID(), "the same session")

	// a stays in line, and only once: b's return elects it, nobody else.
	b.stop <- struct{}{}
	a.awaitStart(t, "a was not elected again")
	assert.Len(t, nodesOf(t, ctx, view, "a"), 1)

	cancel()
	assert.ErrorIs(t, awaitRun(t, ra), context.Canceled)
	assert.ErrorIs(t, awaitRun(t, rb), context.Canceled)
}

// A Run whose node was deleted by someone else during its term campaigns
// again: the requeue's transaction fails on the missing node, nothing of
// it is applied, and a plain campaign follows.
func TestIntegration_Run_RequeueAfterNodeDeleted(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a := newHandJob()
	c := g.client()
	ra := runAsync(ctx, c, a.run, election.WithID("a"))
	a.awaitStart(t, "a was not elected")
	view := zktest.Must(election.New(g.client(), electionPath))
	old := nodesOf(t, ctx, view, "a")
	require.Len(t, old, 1)
	other := g.client()
	require.NoError(t, other.Delete(ctx, electionPath+"/"+old[0], -1))
	a.awaitStart(t, "a was not elected again") // its term ended; it campaigned anew
	ns := nodesOf(t, ctx, view, "a")
	require.Len(t, ns, 1)
	assert.NotEqual(t, old[0], ns[0])
	assert.Equal(t, c.Session().ID(), zktest.Must(ownerOf(ctx, other, electionPath+"/"+ns[0])))
	cancel()
	assert.ErrorIs(t, awaitRun(t, ra), context.Canceled)
}

func ownerOf(ctx context.Context, c *zkrecipes.Client, p string) (int64, error) {
	_, st, err := c.Exists(ctx, p)
	if err != nil || st == nil {
		return 0, err
	}
	return st.EphemeralOwner, nil
}

func count(ops []int32, op int32) int {
	n := 0
	for _, o := range ops {
		if o == op {
			n++
		}
	}
	return n
}

// A Run cancelled while its requeue's transaction is on its way leaves no
// node behind: neither the old one nor the new one, should the
// transaction land after Run returned.
func TestIntegration_Run_RequeueCancelledInFlight(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := newRig(t, ctx, false)
	a, ad, ra, view := r.a, r.ad, r.ra, r.view

	before := len(ad.Sent())
	ad.HoldWrites() // the transaction is written, not yet at the server
	a.stop <- struct{}{}
	require.Eventually(t, func() bool { return count(ad.Sent()[before:], zktest.OpMulti) == 1 }, 10*time.Second, time.Millisecond)
	cancel()
	ad.ReleaseWrites()
	assert.ErrorIs(t, awaitRun(t, ra), context.Canceled)
	require.Eventually(t, func() bool { return len(nodesOf(t, t.Context(), view, "a")) == 0 },
		10*time.Second, 5*time.Millisecond, "a node of a was left behind")
}
