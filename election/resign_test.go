package election_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A leader whose term ended on suspension resigns at once, like Unlock:
// it does not wait for the client to declare its session lost. Once the
// partition heals with the session alive, its node is gone.
func TestIntegration_Election_ResignWhilePartitionedReturnsAtOnce(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	const timeout = 8 * time.Second
	lc, ld := g.faulty(timeout)
	leader := zktest.Must(election.New(lc, electionPath, election.WithID("L")))
	watcher := zktest.Must(election.New(g.client(), electionPath, election.WithID("W")))
	lt, err := leader.Campaign(ctx)
	require.NoError(t, err)
	sess := lc.Session()

	ld.Blackhole()
	select {
	case <-lt.Done():
	case <-time.After(timeout):
		t.Fatal("the partitioned leader's term did not end on suspension")
	}
	require.NoError(t, sess.Err(), "the session must still be alive for this test")
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, lt.Resign(rctx))
	took := time.Since(start)
	assert.Less(t, took, 100*time.Millisecond, "Resign waited for the partition")
	t.Logf("Resign returned after %v", took)

	ld.Heal()
	require.Eventually(t, func() bool {
		ids, err := watcher.Participants(ctx)
		return err == nil && len(ids) == 0
	}, 2*timeout, 10*time.Millisecond, "the resigned leader's node was deleted on reconnection")
	assert.NoError(t, sess.Err(), "the session survived the partition")
}
