package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Poll moves on to the next bucket once one is drained, as Take does
// (regression: the 11th Poll of 25 messages in buckets of 10 returned
// ErrEmpty).
func TestIntegration_Queue_PollAcrossBuckets(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := testCtx(t, 60*time.Second)
	cs := clients(t, 2)
	p := queue.New(cs[0], qpath, queue.WithBucketSize(10))
	cons := queue.New(cs[1], qpath, queue.WithBucketSize(10))
	want := payloads("b", 25)
	for _, d := range want {
		put(t, ctx, p, string(d))
	}
	for i, d := range want {
		m, err := cons.Poll(ctx)
		require.NoError(t, err, "poll #%d", i+1)
		assert.Equal(t, string(d), string(m.Data))
		require.NoError(t, m.Ack(ctx))
	}
	_, err := cons.Poll(ctx)
	require.ErrorIs(t, err, queue.ErrEmpty)
}
