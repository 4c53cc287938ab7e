package zktest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestEnsemble(t *testing.T) {
	zktest.SkipIfShort(t)
	e := zktest.NewEnsemble(t, 3)
	addrs := e.Addrs()
	require.Len(t, addrs, 3)
	leader := e.Leader()
	require.GreaterOrEqual(t, leader, 0)
	for i := range 3 {
		mode := e.Server(i).Mode()
		if i == leader {
			require.Equal(t, "leader", mode)
		} else {
			require.Equal(t, "follower", mode)
		}
	}

	// Written via member 0, read via member 2.
	c0 := connect(t, addrs[:1], 10*time.Second, nil)
	_, err := c0.Create("/ens", []byte("replicated"), 0, acl)
	require.NoError(t, err)
	c2 := connect(t, addrs[2:], 10*time.Second, nil)
	_, err = c2.Sync("/ens")
	require.NoError(t, err)
	data, _, err := c2.Get("/ens")
	require.NoError(t, err)
	require.Equal(t, "replicated", string(data))

	// Kill the leader: the others elect a new one; the old one rejoins.
	require.NoError(t, e.Server(leader).Stop())
	waitFor(t, 30*time.Second, "a new leader", func() bool {
		l := e.Leader()
		return l >= 0 && l != leader
	})
	other := (leader + 1) % 3
	c := connect(t, addrs[other:other+1], 10*time.Second, nil)
	_, err = c.Create("/after", nil, 0, acl)
	require.NoError(t, err)

	require.NoError(t, e.Server(leader).Restart())
	require.Contains(t, []string{"leader", "follower"}, e.Server(leader).Mode())
	cl := connect(t, addrs[leader:leader+1], 10*time.Second, nil)
	_, err = cl.Sync("/after")
	require.NoError(t, err)
	ok, _, err := cl.Exists("/after")
	require.NoError(t, err)
	require.True(t, ok)

	for _, c := range []interface{ Close() }{c0, c2, c, cl} {
		c.Close()
	}
	require.NoError(t, e.Close())
	require.NoError(t, e.Close(), "Close is idempotent")
	require.Equal(t, -1, e.Leader())
}
