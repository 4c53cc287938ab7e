package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/node"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// kept is what Node and TTL have in common.
type kept interface {
	Start()
	WaitCreated(context.Context) error
	SetData(context.Context, []byte) error
	Close(context.Context) error
}

// Node and TTL share one lifecycle: not started, created, closed; too
// much data is refused by both constructors and both SetData; a closed
// client ends a wait with zkrecipes.ErrClosed.
func TestIntegration_Keeper_Lifecycle(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	c := zktest.Client(t)
	big := make([]byte, zkrecipes.MaxDataSize+1)
	_, err := node.New(c, "/k/big", big)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	_, err = node.NewTTL(c, "/k/big", big, time.Hour)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)

	for name, mk := range map[string]func(c *zkrecipes.Client, p string) kept{
		"Node": func(c *zkrecipes.Client, p string) kept { return zktest.Must(node.New(c, p, nil)) },
		"TTL":  func(c *zkrecipes.Client, p string) kept { return zktest.Must(node.NewTTL(c, p, nil, time.Hour)) },
	} {
		t.Run(name, func(t *testing.T) {
			n := mk(c, "/k/"+name)
			assert.ErrorIs(t, n.WaitCreated(ctx), node.ErrNotStarted)
			n.Start()
			require.NoError(t, n.WaitCreated(ctx))
			assert.ErrorIs(t, n.SetData(ctx, big), zkrecipes.ErrInvalidArgument)
			require.NoError(t, n.Close(ctx))
			assert.ErrorIs(t, n.WaitCreated(ctx), node.ErrClosed)
			assert.ErrorIs(t, n.SetData(ctx, nil), node.ErrClosed)
			require.NoError(t, n.Close(ctx), "Close is idempotent")
			n.Start() // after Close: does nothing
			assert.ErrorIs(t, n.WaitCreated(ctx), node.ErrClosed)

			// Started on a closed client: the wait ends.
			cc := zktest.ClientAt(t, zktest.Servers(t), zktest.Namespace(t))
			m := mk(cc, "/k/"+name)
			require.NoError(t, cc.Close())
			m.Start()
			assert.ErrorIs(t, m.WaitCreated(ctx), zkrecipes.ErrClosed)
			if err := m.Close(ctx); err != nil { // TTL: its deletes fail
				assert.ErrorIs(t, err, zkrecipes.ErrClosed)
			}
		})
	}
}
