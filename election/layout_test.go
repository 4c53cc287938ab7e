package election_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Election_InvalidLayout(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := t.Context()
	_, err := election.New(c, electionPath, election.WithLayout(0))
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	err = election.Run(ctx, c, electionPath, func(context.Context) error { return nil }, election.WithLayout(3))
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	assert.Empty(t, children(t, c), "nothing written")
}

// Run's nodes are LeaderSelector's ("lock-"), Campaign's LeaderLatch's
// ("latch-"), and Go participants of both kinds elect one leader: they
// wait for each other in sequence order, and every reader reports them.
func TestIntegration_Run_SharesElectionWithCampaign(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	viewer := zktest.Must(election.New(g.client(), electionPath))
	obs := viewer.Observe(ctx)
	latch := zktest.Must(election.New(g.client(), electionPath, election.WithID("latch")))
	term, err := latch.Campaign(ctx)
	require.NoError(t, err)
	assert.Contains(t, term.Node(), "-"+election.LatchPrefix)

	var tl timeline
	tl.begin("latch", time.Now(), term.Context())
	started := make(chan string, 10)
	ret := runAsync(ctx, g.client(), func(jctx context.Context) error {
		tl.begin("run", time.Now(), jctx)
		l, err := viewer.Leader(jctx)
		if err == nil {
			started <- l.Node
		}
		<-jctx.Done()
		return nil
	}, election.WithID("run"))
	waitParticipants(t, viewer, "latch", "run")
	select {
	case n := <-started:
		t.Fatalf("Run leads (node %s) while a Campaign term holds", n)
	default:
	}
	resign(t, term)
	select {
	case n := <-started:
		assert.Contains(t, n, "-"+election.SelectorPrefix, "Run's node, as the viewer reads it")
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not lead after the Campaign term resigned")
	}
	// Observe follows the leader across the layouts.
	require.Eventually(t, func() bool {
		select {
		case p := <-obs:
			return p.ID == "run"
		default:
			return false
		}
	}, 10*time.Second, 5*time.Millisecond, "Observe reports Run's leadership")

	// A Campaign now waits behind Run's node.
	cctx, ccancel := context.WithCancel(ctx)
	ch := campaignAsync(cctx, latch)
	waitParticipants(t, viewer, "run", "latch")
	notYet(t, ch)
	ccancel()
	r := await(t, ch, 15*time.Second)
	assert.ErrorIs(t, r.err, context.Canceled)
	cancel()
	assert.ErrorIs(t, awaitRun(t, ret), context.Canceled)
	tl.assertNoOverlap(t)
	for _, n := range children(t, g.client()) {
		assert.False(t, strings.Contains(n, "latch-") || strings.Contains(n, "lock-"), "left behind: %s", n)
	}
}
