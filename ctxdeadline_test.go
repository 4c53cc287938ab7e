package zkrecipes_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A write whose deadline passed before it was sent is certain not to have
// been applied: context.DeadlineExceeded implements net.Error, and was once
// taken for a socket error that may have carried the request.
func TestIntegration_ExpiredDeadline_WriteIsCertain(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/node", []byte("v"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = c.Set(expired, "/node", []byte("x"), -1)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, zkrecipes.ErrUncertain, "nothing was sent: the outcome is certain")
	err = c.Delete(expired, "/node", -1)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, zkrecipes.ErrUncertain, "nothing was sent: the outcome is certain")
}
