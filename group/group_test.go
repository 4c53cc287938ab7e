package group_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/group"
	"github.com/zkrecipes/zkrecipes/node"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func ids(ms []group.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func next(t *testing.T, ctx context.Context, ch *group.Changes) group.Change {
	t.Helper()
	c, err := ch.Next(ctx)
	require.NoError(t, err)
	return c
}

func TestIntegration_Group_JoinWatchLeave(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	c := zktest.ClientAt(t, zktest.Servers(t), ns)
	obs := zktest.ClientAt(t, zktest.Servers(t), ns)
	g := zktest.Must(group.New(c, "/servers"))
	var ms []*group.Membership
	for _, id := range []string{"a", "b"} {
		m, err := g.Join(ctx, id, []byte("data-"+id))
		require.NoError(t, err)
		defer m.Leave(ctx)
		ms = append(ms, m)
	}
	v, err := zktest.Must(group.New(obs, "/servers")).Watch(ctx)
	require.NoError(t, err)
	defer v.Close()
	require.Equal(t, []string{"a", "b"}, ids(v.Members()))
	assert.Equal(t, "data-a", string(v.Members()[0].Data))
	assert.Equal(t, c.Session().ID(), v.Members()[0].Session)

	sub := v.Subscribe()
	defer sub.Close()
	m3, err := g.Join(ctx, "c", []byte("data-c"))
	require.NoError(t, err)
	defer m3.Leave(ctx)
	ch := next(t, ctx, sub)
	assert.Equal(t, group.Joined, ch.Kind)
	assert.Equal(t, "c", ch.New.ID)
	assert.Equal(t, "data-c", string(ch.New.Data))
	assert.Equal(t, []string{"a", "b", "c"}, ids(v.Members()), "the list reflects the change once it is delivered")

	require.NoError(t, ms[1].SetData(ctx, []byte("new-b")))
	ch = next(t, ctx, sub)
	assert.Equal(t, group.Updated, ch.Kind)
	assert.Equal(t, "data-b", string(ch.Old.Data))
	assert.Equal(t, "new-b", string(ch.New.Data))

	require.NoError(t, ms[0].Leave(ctx))
	ch = next(t, ctx, sub)
	assert.Equal(t, group.Left, ch.Kind)
	assert.Equal(t, "a", ch.Old.ID, "the member that left is in the change")
	assert.Equal(t, []string{"b", "c"}, ids(v.Members()))

	_, err = g.Join(ctx, "x/y", nil)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	_, err = zktest.Must(group.New(obs, "/servers", group.WithConflictWait(200*time.Millisecond))).Join(ctx, "b", nil)
	assert.ErrorIs(t, err, node.ErrConflict, "another live member's id is not taken over")
}

// A member's session expires: observers see it leave within the session
// timeout plus a margin, and join again once, in its next session; then
// nothing else happens to it until its next own change.
func TestIntegration_Group_MemberSessionExpiry(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	ns := zktest.Namespace(t)
	obs := zktest.ClientAt(t, zktest.Servers(t), ns)
	const timeout = time.Second
	c, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns, zkrecipes.WithSessionTimeout(timeout))
	m, err := zktest.Must(group.New(c, "/servers")).Join(ctx, "a", []byte("v1"))
	require.NoError(t, err)
	defer m.Leave(ctx)
	v, err := zktest.Must(group.New(obs, "/servers")).Watch(ctx)
	require.NoError(t, err)
	defer v.Close()
	sub := v.Subscribe()
	defer sub.Close()
	old := c.Session().ID()

	// A short disconnection that keeps the session: nothing to see.
	states := c.Subscribe()
	defer states.Close()
	d.Cut()
	waitState(t, ctx, states, zkrecipes.Reconnected)

	start := time.Now()
	d.Blackhole()
	ch := next(t, ctx, sub)
	left := time.Since(start)
	require.Equal(t, group.Left, ch.Kind, "the first change after a short disconnection and a crash: %+v", ch)
	assert.Less(t, left, timeout+time.Second, "gone within the session timeout plus a margin")
	waitState(t, ctx, states, zkrecipes.Lost)
	d.Heal()
	ch = next(t, ctx, sub)
	require.Equal(t, group.Joined, ch.Kind)
	assert.NotEqual(t, old, ch.New.Session)
	assert.Equal(t, "v1", string(ch.New.Data))
	t.Logf("left %v after the crash, back %v after it (session timeout %v)", left.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), timeout)

	require.NoError(t, m.SetData(ctx, []byte("v2")))
	ch = next(t, ctx, sub)
	assert.Equal(t, group.Updated, ch.Kind, "joined once: the next change is our own update")
	assert.Equal(t, []string{"a"}, ids(v.Members()))
}

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
