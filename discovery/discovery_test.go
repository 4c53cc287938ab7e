package discovery_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/discovery"
	"github.com/zkrecipes/zkrecipes/node"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func payload(t *testing.T, zone string, weight int) json.RawMessage {
	t.Helper()
	p, err := discovery.MapPayload(struct {
		Zone   string `json:"zone"`
		Weight int    `json:"weight"`
	}{zone, weight})
	require.NoError(t, err)
	return p
}

func TestIntegration_Discovery_RegisterQueryUpdateUnregister(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	c := zktest.Client(t)
	d := zktest.Must(discovery.New(c, "/services"))

	names, err := d.Names(ctx)
	require.NoError(t, err)
	assert.Empty(t, names, "no base path yet")

	a, err := d.Register(ctx, discovery.Instance{Name: "svc", ID: "a", Address: "10.0.0.1", Port: 8080,
		Payload: payload(t, "z1", 1), URISpec: "{scheme}://{address}:{port}"})
	require.NoError(t, err)
	b, err := d.Register(ctx, discovery.Instance{Name: "svc", ID: "b", Address: "10.0.0.2", Port: 8080, Disabled: true})
	require.NoError(t, err)
	defer b.Unregister(ctx) // before the client's cleanup deletes the namespace
	x, err := d.Register(ctx, discovery.Instance{Name: "other", ID: "x", Port: 1})
	require.NoError(t, err)
	defer x.Unregister(ctx)

	names, err = d.Names(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"other", "svc"}, names)
	ins, err := d.Instances(ctx, "svc")
	require.NoError(t, err)
	require.Len(t, ins, 2)
	assert.Equal(t, "a", ins[0].ID)
	assert.Equal(t, a.Instance().Registered, ins[0].Registered)
	assert.Equal(t, "{scheme}://{address}:{port}", ins[0].URISpec)
	assert.True(t, ins[1].Disabled)
	_, st, err := c.Get(ctx, "/services/svc/a")
	require.NoError(t, err)
	assert.Equal(t, c.Session().ID(), st.EphemeralOwner, "DYNAMIC is ephemeral")

	// An update is a write of the same node: observers see no departure.
	upd := a.Instance()
	upd.Payload = payload(t, "z2", 5)
	require.NoError(t, a.Update(ctx, upd))
	_, st2, err := c.Get(ctx, "/services/svc/a")
	require.NoError(t, err)
	assert.Equal(t, st.Czxid, st2.Czxid, "same node")
	assert.Equal(t, st.Version+1, st2.Version, "one write")
	got, err := d.Instance(ctx, "svc", "a")
	require.NoError(t, err)
	var p struct{ Zone string }
	require.NoError(t, got.DecodePayload(&p))
	assert.Equal(t, "z2", p.Zone)
	bad := upd
	bad.ID = "other"
	assert.ErrorIs(t, a.Update(ctx, bad), zkrecipes.ErrInvalidArgument)

	require.NoError(t, a.Unregister(ctx))
	_, err = d.Instance(ctx, "svc", "a")
	assert.ErrorIs(t, err, zk.ErrNoNode)
	assert.ErrorIs(t, a.Update(ctx, upd), discovery.ErrUnregistered)
	require.NoError(t, a.Unregister(ctx))

	_, err = d.Register(ctx, discovery.Instance{Name: "svc", ID: "a/b"})
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	_, err = d.Register(ctx, discovery.Instance{Name: "svc", ID: "s", ServiceType: discovery.DynamicSequential})
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
}

// Registering an id another live process holds fails with ErrConflict
// and leaves the other's record alone.
func TestIntegration_Discovery_RegisterConflict(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	c1 := zktest.ClientAt(t, zktest.Servers(t), ns)
	c2 := zktest.ClientAt(t, zktest.Servers(t), ns)
	d1 := zktest.Must(discovery.New(c1, "/services"))
	d2 := zktest.Must(discovery.New(c2, "/services", discovery.WithConflictWait(300*time.Millisecond)))
	first, err := d1.Register(ctx, discovery.Instance{Name: "svc", ID: "a", Address: "first"})
	require.NoError(t, err)
	defer first.Unregister(ctx)
	_, err = d2.Register(ctx, discovery.Instance{Name: "svc", ID: "a", Address: "second"})
	require.ErrorIs(t, err, discovery.ErrConflict)
	var ce *node.ConflictError
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, c1.Session().ID(), ce.Owner)
	in, err := d2.Instance(ctx, "svc", "a")
	require.NoError(t, err)
	assert.Equal(t, "first", in.Address)
}

// Static instances are persistent: they outlive the registering client.
func TestIntegration_Discovery_Static(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 20*time.Second)
	ns := zktest.Namespace(t)
	c1 := zktest.ClientAt(t, zktest.Servers(t), ns)
	c2 := zktest.ClientAt(t, zktest.Servers(t), ns)
	d1 := zktest.Must(discovery.New(c1, "/services"))
	d2 := zktest.Must(discovery.New(c2, "/services"))
	_, err := d1.Register(ctx, discovery.Instance{Name: "db", ID: "primary", Address: "10.0.0.9", Port: 5432, ServiceType: discovery.Static})
	require.NoError(t, err)
	require.NoError(t, c1.Close())
	in, err := d2.Instance(ctx, "db", "primary")
	require.NoError(t, err)
	assert.Equal(t, discovery.Static, in.ServiceType)
	// Registering it again overwrites it; Unregister deletes it.
	r, err := d2.Register(ctx, discovery.Instance{Name: "db", ID: "primary", Address: "10.0.0.10", Port: 5432, ServiceType: discovery.Static})
	require.NoError(t, err)
	in, err = d2.Instance(ctx, "db", "primary")
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.10", in.Address)
	require.NoError(t, r.Unregister(ctx))
	_, err = d2.Instance(ctx, "db", "primary")
	assert.ErrorIs(t, err, zk.ErrNoNode)
}
