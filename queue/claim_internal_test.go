package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A claim transaction whose reply is lost is recognised by its nonce, not
// by the claim's owner: here the server refused it (the message is already
// claimed by an earlier claim of the same session), and taking the earlier
// claim for ours would hand the message out twice (regression: Consume ran
// its handler twice on one message, both with Deliveries = 1).
func TestIntegration_Queue_LostClaimReplyOnOwnEarlierClaim(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	c, d := zktest.FaultyClientAt(t, zktest.Servers(t), zktest.Namespace(t))
	q := zktest.Must(New(c, "/jobs", WithInline(true))) // the inline claim counts deliveries in version
	ids := make([]msgID, 2)
	for i := range ids {
		id, err := q.Put(ctx, []byte{'m', byte('0' + i)})
		require.NoError(t, err)
		ids[i], err = parseID(id)
		require.NoError(t, err)
	}
	s, err := c.WaitSession(ctx)
	require.NoError(t, err)
	// An earlier claim of the first message by this session (another
	// taker of this process holds it).
	_, err = s.Create(ctx, q.l.claim(ids[0]), []byte("earlier"), zkrecipes.Ephemeral)
	require.NoError(t, err)

	batch := make([]*op[claimOp], len(ids))
	for i, id := range ids {
		it, ok := parseItem(id.item)
		require.True(t, ok)
		batch[i] = &op[claimOp]{v: claimOp{ctx: ctx, s: s, cd: cand{id: id, inline: it.inline, data: it.data}}}
	}
	d.CutAfterRequest(zktest.OpMulti)
	rest := q.claimTx(ctx, s, batch)
	require.False(t, d.Armed(), "no transaction was sent")
	require.Len(t, rest, 1, "the taken message is answered, the other left to claim again")
	assert.ErrorIs(t, batch[0].err, errTaken)
	assert.Same(t, batch[1], rest[0])
	assert.Empty(t, children(t, c, q.l.claims, ids[1].claimName()), "the second message was never claimed")

	// Claimed alone, the second message is ours, also after a lost reply.
	d.CutAfterRequest(zktest.OpMulti)
	require.Empty(t, q.claimTx(ctx, s, rest))
	require.False(t, d.Armed(), "no transaction was sent")
	require.NoError(t, rest[0].err)
	assert.Equal(t, int32(1), rest[0].v.version, "one delivery counted")
}

// children returns the names among want that are children of p.
func children(t *testing.T, c *zkrecipes.Client, p string, want ...string) []string {
	t.Helper()
	names, _, err := c.Children(context.Background(), p)
	require.NoError(t, err)
	var out []string
	for _, n := range names {
		for _, w := range want {
			if n == w {
				out = append(out, n)
			}
		}
	}
	return out
}
