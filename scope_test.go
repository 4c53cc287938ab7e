package zkrecipes_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/scope"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// endSignal is a stored value that says when its store ended.
type endSignal chan struct{}

func (e endSignal) End() { close(e) }

type signalKey struct{}

func signalOf(owner any) endSignal {
	return scope.Value(scope.Of(owner), signalKey{}, func() endSignal { return make(endSignal) })
}

func ended(e endSignal) bool {
	select {
	case <-e:
		return true
	default:
		return false
	}
}

// The state recipes keep per session ends with the session, and the state
// they keep per client with Close.
func TestIntegration_Client_ScopesEndWithTheirOwner(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t, zkrecipes.WithSessionTimeout(3*time.Second))
	ctx := zktest.Context(t, 20*time.Second)
	s1 := c.Session()
	cs, ss1 := signalOf(c), signalOf(s1)
	assert.Equal(t, ss1, signalOf(s1), "one value per key")

	d.Cut() // a suspension is not the end (reconnecting takes go-zookeeper a second)
	select {
	case <-s1.Suspended():
	case <-ctx.Done():
		t.Fatal("no suspension after a cut")
	}
	s, err := c.WaitSession(ctx)
	require.NoError(t, err)
	require.Same(t, s1, s)
	assert.False(t, ended(ss1), "the session's state ended at a suspension")

	d.Blackhole() // until the client declares the session lost
	select {
	case <-ss1:
	case <-ctx.Done():
		t.Fatal("the session's state outlived the session")
	}
	assert.Error(t, s1.Err(), "ended before the session did")
	assert.True(t, ended(signalOf(s1)), "an ended session keeps new state")
	d.Heal()
	s2, err := c.WaitSession(ctx)
	require.NoError(t, err)
	ss2 := signalOf(s2)
	assert.False(t, ended(cs), "the client's state ended with a session")

	require.NoError(t, c.Close())
	assert.True(t, ended(cs), "the client's state outlived Close")
	assert.True(t, ended(ss2), "the last session's state outlived Close")
	assert.True(t, ended(signalOf(c)), "a closed client keeps new state")
}
