package node_test

import (
	"context"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
)

// waitStat watches p through c until cond holds for its stat (nil when p
// does not exist) and returns that stat; it fails the test when ctx ends
// first. Waiting is on watch events, never on time.
func waitStat(t *testing.T, ctx context.Context, c *zkrecipes.Client, p string, what string, cond func(st *zk.Stat) bool) *zk.Stat {
	t.Helper()
	for {
		ok, st, w, err := c.ExistsW(ctx, p)
		require.NoError(t, err, "waiting for %s", what)
		if !ok {
			st = nil
		}
		if cond(st) {
			return st
		}
		select {
		case <-w:
		case <-ctx.Done():
			t.Fatalf("%s: %v (last stat %+v)", what, ctx.Err(), st)
		}
	}
}

// waitState reads sub until it reports want.
func waitState(t *testing.T, ctx context.Context, sub *zkrecipes.Subscription, want zkrecipes.State) {
	t.Helper()
	for {
		ch, err := sub.Next(ctx)
		require.NoError(t, err, "waiting for %v", want)
		if ch.State == want {
			return
		}
	}
}

func get(t *testing.T, ctx context.Context, c *zkrecipes.Client, p string) ([]byte, *zk.Stat) {
	t.Helper()
	data, st, err := c.Get(ctx, p)
	require.NoError(t, err)
	return data, st
}
