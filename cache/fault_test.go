package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// waitState reads client states until st.
func waitState(ctx context.Context, t *testing.T, sub *zkrecipes.Subscription, st zkrecipes.State) {
	t.Helper()
	for {
		ch, err := sub.Next(ctx)
		require.NoError(t, err)
		if ch.State == st {
			return
		}
	}
}

// A node deleted and recreated with the same data while the client could
// not hear of it (version 0 again, same data) is reported, in the same
// session (watches replayed by the server) and in a new one (resync).
func TestIntegration_Node_RecreatedWhileDisconnected(t *testing.T) {
	zktest.SkipIfShort(t)
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		state   zkrecipes.State
	}{
		{"same session", 6 * time.Second, zkrecipes.Reconnected}, // healed at once: it reconnects well within it
		{"new session", time.Second, zkrecipes.Connected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := zktest.Context(t, 30*time.Second)
			ns, srv := zktest.Namespace(t), zktest.Servers(t)
			w := zktest.ClientAt(t, srv, ns)
			c, d := zktest.FaultyClientAt(t, srv, ns, zkrecipes.WithSessionTimeout(tc.timeout))
			mustCreate(ctx, t, w, "/cfg", "v")

			n := zktest.Must(cache.NewNode(c, "/cfg"))
			defer n.Close()
			sub := n.Subscribe()
			defer sub.Close()
			require.NoError(t, n.Start(ctx))
			until(ctx, t, sub, kind(cache.Initialized))
			before, ok := n.Get()
			require.True(t, ok)
			states := c.Subscribe()
			defer states.Close()

			d.Blackhole()
			require.NoError(t, w.Delete(ctx, "/cfg", -1))
			mustCreate(ctx, t, w, "/cfg", "v")
			if tc.state == zkrecipes.Connected {
				waitState(ctx, t, states, zkrecipes.Lost)
			}
			d.Heal()
			waitState(ctx, t, states, tc.state)
			evs := until(ctx, t, sub, kind(cache.Reinitialized))
			var changed *cache.Event
			for i, ev := range evs {
				if ev.Kind == cache.Changed || ev.Kind == cache.Created {
					changed = &evs[i]
				}
			}
			require.NotNil(t, changed, "the recreation was missed: %s", describe(evs))
			assert.Equal(t, cache.Stale, evs[0].Kind, describe(evs))
			after, ok := n.Get()
			require.True(t, ok)
			assert.NotEqual(t, before.Stat.Czxid, after.Stat.Czxid)
			assert.Equal(t, int32(0), after.Stat.Version)
			assert.Equal(t, "v", string(after.Data))
			stale, _ := n.Stale()
			assert.False(t, stale)
		})
	}
}

// After a reconnection (the server replays the watches) and after a
// session loss (every watch gone) the tree is read again completely: a
// parent deleted and recreated with as many children as before
// (CuratorCache skips it when its cversion is unchanged) loses neither old
// nor new children, and children deleted meanwhile leave the cache.
func TestIntegration_Tree_ResyncAfterDisconnection(t *testing.T) {
	zktest.SkipIfShort(t)
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		state   zkrecipes.State
	}{
		{"same session", 6 * time.Second, zkrecipes.Reconnected},
		{"new session", time.Second, zkrecipes.Connected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := zktest.Context(t, 30*time.Second)
			ns, srv := zktest.Namespace(t), zktest.Servers(t)
			w := zktest.ClientAt(t, srv, ns)
			c, d := zktest.FaultyClientAt(t, srv, ns, zkrecipes.WithSessionTimeout(tc.timeout))
			for _, p := range []string{"/r/p/a", "/r/p/b", "/r/q/x"} {
				mustCreate(ctx, t, w, p, "1")
			}
			tr := zktest.Must(cache.NewTree(c, "/r"))
			defer tr.Close()
			sub := tr.Subscribe()
			defer sub.Close()
			require.NoError(t, tr.Start(ctx))
			until(ctx, t, sub, kind(cache.Initialized))
			states := c.Subscribe()
			defer states.Close()

			d.Blackhole()
			for _, p := range []string{"/r/p/a", "/r/p/b", "/r/p", "/r/q/x"} {
				require.NoError(t, w.Delete(ctx, p, -1))
			}
			for _, p := range []string{"/r/p/a", "/r/p/c", "/r/q/y"} {
				mustCreate(ctx, t, w, p, "2")
			}
			if tc.state == zkrecipes.Connected {
				waitState(ctx, t, states, zkrecipes.Lost)
			} else {
				waitState(ctx, t, states, zkrecipes.Suspended)
			}
			evs := until(ctx, t, sub, kind(cache.Stale))
			stale, since := tr.Stale()
			assert.True(t, stale)
			assert.Equal(t, evs[len(evs)-1].At, since)
			d.Heal()
			waitState(ctx, t, states, tc.state)
			evs = until(ctx, t, sub, kind(cache.Reinitialized))
			stale, _ = tr.Stale()
			assert.False(t, stale)
			want, err := serverTree(ctx, w, "/r")
			require.NoError(t, err)
			assert.Equal(t, want, cacheTree(tr), describe(evs))
			for _, p := range []string{"/r/p/b", "/r/q/x"} {
				assert.Contains(t, describe(evs), "deleted "+p+";")
			}
		})
	}
}
