package discovery_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/discovery"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func nextChange(t *testing.T, ctx context.Context, ch *discovery.Changes) discovery.Change {
	t.Helper()
	c, err := ch.Next(ctx)
	require.NoError(t, err)
	return c
}

// A ServiceCache follows registrations, updates and departures with the
// instance in each change, and a Provider picks from it in memory.
func TestIntegration_ServiceCache_FollowsAndProvides(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	c := zktest.ClientAt(t, zktest.Servers(t), ns)
	obs := zktest.ClientAt(t, zktest.Servers(t), ns)
	d := zktest.Must(discovery.New(c, "/services"))
	a, err := d.Register(ctx, discovery.Instance{Name: "svc", ID: "a", Port: 1})
	require.NoError(t, err)
	defer a.Unregister(ctx)

	sc, err := zktest.Must(discovery.New(obs, "/services")).Cache(ctx, "svc")
	require.NoError(t, err)
	defer sc.Close()
	require.Len(t, sc.Instances(), 1)
	stale, _ := sc.Stale()
	assert.False(t, stale, "loaded and connected")
	sub := sc.Subscribe()
	defer sub.Close()
	p := sc.Provider(discovery.WithStrategy(discovery.RoundRobin()))

	b, err := d.Register(ctx, discovery.Instance{Name: "svc", ID: "b", Port: 2})
	require.NoError(t, err)
	defer b.Unregister(ctx)
	ch := nextChange(t, ctx, sub)
	assert.Equal(t, discovery.Joined, ch.Kind)
	assert.Equal(t, "b", ch.New.ID)
	got := map[string]bool{}
	for range 4 {
		in, err := p.Instance()
		require.NoError(t, err)
		got[in.ID] = true
	}
	assert.Equal(t, map[string]bool{"a": true, "b": true}, got)

	upd := b.Instance()
	upd.Disabled = true
	require.NoError(t, b.Update(ctx, upd))
	ch = nextChange(t, ctx, sub)
	assert.Equal(t, discovery.Updated, ch.Kind, "an update, not a departure")
	assert.False(t, ch.Old.Disabled)
	assert.True(t, ch.New.Disabled)
	for range 3 {
		in, err := p.Instance()
		require.NoError(t, err)
		assert.Equal(t, "a", in.ID, "a disabled instance is not picked")
	}

	require.NoError(t, a.Unregister(ctx))
	ch = nextChange(t, ctx, sub)
	assert.Equal(t, discovery.Left, ch.Kind)
	assert.Equal(t, "a", ch.Old.ID)
	_, err = p.Instance()
	assert.ErrorIs(t, err, discovery.ErrNoInstance)
}

// Cache creates a missing service node as a container, as Curator's
// ServiceCache does, so that instances register without creating it; a
// client not allowed to create it follows the service all the same.
func TestIntegration_ServiceCache_CreatesServiceNode(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	c := zktest.Client(t)
	sc, err := zktest.Must(discovery.New(c, "/services")).Cache(ctx, "fresh")
	require.NoError(t, err)
	defer sc.Close()
	ok, st, err := c.Exists(ctx, "/services/fresh")
	require.NoError(t, err)
	require.True(t, ok, "the service node is created")
	assert.Zero(t, st.EphemeralOwner)

	_, err = c.Create(ctx, "/ro", nil, zkrecipes.Persistent, zkrecipes.WithNodeACL(zk.WorldACL(zk.PermRead)))
	require.NoError(t, err)
	ro, err := zktest.Must(discovery.New(c, "/ro")).Cache(ctx, "svc")
	require.NoError(t, err, "a refused create is no error")
	defer ro.Close()
	assert.Empty(t, ro.Instances())
}
