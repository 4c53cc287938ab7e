package discovery_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/discovery"
	"github.com/zkrecipes/zkrecipes/internal/curatortest"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Curator interop: testdata/DiscoveryInterop.java runs Debian's
// curator-x-discovery 5.4 (ServiceDiscovery, ServiceProvider, Map
// payloads) on the same znodes as Go.

const javaSrc = "testdata/DiscoveryInterop.java"

// java runs one DiscoveryInterop command and returns its output lines.
func java(t *testing.T, ctx context.Context, args ...string) []string {
	t.Helper()
	jvm := curatortest.Compile(t, javaSrc)
	out, err := jvm.CommandContext(ctx, "DiscoveryInterop", args...).Output()
	require.NoError(t, err, "DiscoveryInterop %v: %s", args, out)
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func connect(t *testing.T) string { return strings.Join(zktest.Servers(t), ",") }

// describe is DiscoveryInterop's line for an instance with a zone/weight
// payload, as Go expects Java to see it.
func describe(in discovery.Instance, zone string, weight int, uri string) string {
	null := func(n int) string {
		if n == 0 {
			return "null"
		}
		return fmt.Sprint(n)
	}
	typ := in.ServiceType
	if typ == "" {
		typ = discovery.Dynamic
	}
	return fmt.Sprintf("instance name=%s id=%s address=%s port=%s sslPort=%s time=%d type=%s enabled=%v uri=%s zone=%s weight=%d",
		in.Name, in.ID, in.Address, null(in.Port), null(in.SSLPort), in.Registered.UnixMilli(), typ, !in.Disabled, uri, zone, weight)
}

// Marshal writes what Curator's default serializer writes, byte for byte.
func TestIntegration_Discovery_CuratorSerializerBytes(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	for _, tc := range []struct {
		name, id, address string
		port, ssl         int
		zone, spec        string
		typ               discovery.ServiceType
	}{
		{"svc", "inst-00", "127.0.0.1", 10000, 0, "z0", "{scheme}://{address}:{port}", discovery.Dynamic},
		{"svc", "tab\there\x01\"q\\", "hôte-é", 1, 443, "日本/<&>", "-", discovery.Static},
		{"a b", "x", "h", 65535, 65534, "", "https://{address}:{ssl-port}/p?q={id}", discovery.Permanent},
	} {
		spec := tc.spec
		if spec == "-" {
			spec = ""
		}
		in := discovery.Instance{Name: tc.name, ID: tc.id, Address: tc.address, Port: tc.port, SSLPort: tc.ssl,
			Payload: payload(t, tc.zone, 7), Registered: time.UnixMilli(1700000000123), ServiceType: tc.typ, URISpec: spec}
		ssl := "-"
		if tc.ssl != 0 {
			ssl = fmt.Sprint(tc.ssl)
		}
		want := java(t, ctx, "encode", tc.name, tc.id, tc.address, fmt.Sprint(tc.port), ssl, "1700000000123", tc.zone, "7", tc.spec, string(tc.typ))
		got, err := discovery.Marshal(in)
		require.NoError(t, err)
		assert.Equal(t, strings.Join(want, "\n"), string(got), "instance %q", tc.id)
	}
}

// Go registers; Curator's ServiceDiscovery lists the instances with the
// same field values, its ServiceProvider picks one, and sees Go's update
// and unregistration.
func TestIntegration_Discovery_CuratorReadsGo(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 90*time.Second)
	c := zktest.Client(t)
	base := c.Namespace() + "/services"
	d := zktest.Must(discovery.New(c, "/services"))
	var regs []*discovery.Registration
	for i, id := range []string{"go-1", "go-2"} {
		r, err := d.Register(ctx, discovery.Instance{Name: "svc", ID: id, Address: "10.0.0." + fmt.Sprint(i+1), Port: 8080 + i,
			Payload: payload(t, "z"+fmt.Sprint(i), i+1), URISpec: "{scheme}://{address}:{port}"})
		require.NoError(t, err)
		defer r.Unregister(ctx) // before the client's cleanup deletes the namespace (and the node would come back)
		regs = append(regs, r)
	}
	o, err := d.Register(ctx, discovery.Instance{Name: "other", ID: "o", Port: 1, SSLPort: 2, Payload: payload(t, "zz", 9)})
	require.NoError(t, err)
	defer o.Unregister(ctx)

	want := []string{
		describe(regs[0].Instance(), "z0", 1, "http://10.0.0.1:8080"),
		describe(regs[1].Instance(), "z1", 2, "http://10.0.0.2:8081"),
		"end",
	}
	assert.Equal(t, want, java(t, ctx, "list", connect(t), base, "svc"))
	assert.Equal(t, []string{"names other,svc"}, java(t, ctx, "names", connect(t), base))
	picked := java(t, ctx, "provider", connect(t), base, "svc")
	assert.Contains(t, []string{"picked go-1", "picked go-2"}, picked[0])

	// Go updates one (a write of the node) and unregisters
	// the other: Curator sees both.
	in := regs[0].Instance()
	in.Payload = payload(t, "moved", 3)
	in.Disabled = true
	require.NoError(t, regs[0].Update(ctx, in))
	require.NoError(t, regs[1].Unregister(ctx))
	want = []string{describe(in, "moved", 3, "http://10.0.0.1:8080"), "end"}
	assert.Equal(t, want, java(t, ctx, "list", connect(t), base, "svc"))
	assert.Equal(t, []string{"picked none"}, java(t, ctx, "provider", connect(t), base, "svc"), "Curator's provider skips a disabled instance")
}

// Curator registers; Go reads the instance with the same field values,
// sees Curator's updateService, can update the record itself (Curator
// still reads it), and sees Curator's unregistration.
func TestIntegration_Discovery_GoReadsCurator(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 90*time.Second)
	c := zktest.Client(t)
	base := c.Namespace() + "/services"
	d := zktest.Must(discovery.New(c, "/services"))
	jvm := curatortest.Compile(t, javaSrc)
	sc, err := d.Cache(ctx, "svc")
	require.NoError(t, err)
	defer sc.Close()
	changes := sc.Subscribe()
	defer changes.Close()

	cmd := jvm.CommandContext(ctx, "DiscoveryInterop", "register", connect(t), base, "svc", "java-1", "10.9.8.7", "9090", "zj", "4")
	stdin, err2 := cmd.StdinPipe()
	err = err2
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Wait() }()
	defer stdin.Close()
	lines := bufio.NewScanner(stdout)
	next := func() string {
		t.Helper()
		require.True(t, lines.Scan(), "java ended early: %v", lines.Err())
		return lines.Text()
	}
	require.Equal(t, "registered", next())
	joined, err := changes.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, discovery.Joined, joined.Kind, "a Go cache sees the Java instance join")
	assert.Equal(t, "java-1", joined.New.ID)

	zone := func(in discovery.Instance) (z string, w int) {
		var p struct {
			Zone   string
			Weight int
		}
		require.NoError(t, in.DecodePayload(&p))
		return p.Zone, p.Weight
	}
	ins, err := d.Instances(ctx, "svc")
	require.NoError(t, err)
	require.Len(t, ins, 1)
	in := ins[0]
	assert.Equal(t, "svc", in.Name)
	assert.Equal(t, "java-1", in.ID)
	assert.Equal(t, "10.9.8.7", in.Address)
	assert.Equal(t, 9090, in.Port)
	assert.Zero(t, in.SSLPort)
	assert.Equal(t, discovery.Dynamic, in.ServiceType)
	assert.Equal(t, "{scheme}://{address}:{port}", in.URISpec)
	assert.False(t, in.Disabled)
	assert.Equal(t, discovery.JavaMapClass, in.Class())
	assert.WithinDuration(t, time.Now(), in.Registered, time.Minute)
	z, w := zone(in)
	assert.Equal(t, "zj", z)
	assert.Equal(t, 4, w)
	raw, _, err := c.Get(ctx, "/services/svc/java-1")
	require.NoError(t, err)
	again, err := discovery.Marshal(in)
	require.NoError(t, err)
	assert.Equal(t, string(raw), string(again), "what Go reads it writes back byte for byte")

	_, err = io.WriteString(stdin, "update zk\n")
	require.NoError(t, err)
	require.Equal(t, "updated", next())
	in, err = d.Instance(ctx, "svc", "java-1")
	require.NoError(t, err)
	z, _ = zone(in)
	assert.Equal(t, "zk", z, "Curator's update")
	// Curator's updateService is a setData too (in 5.4): an update, not a departure.
	ch, err := changes.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, discovery.Updated, ch.Kind)

	// A Go tool rewrites the Java instance's record: Curator reads it.
	in.Payload = payload(t, "from-go", 6)
	data, err := discovery.Marshal(in)
	require.NoError(t, err)
	_, err = c.Set(ctx, "/services/svc/java-1", data, -1)
	require.NoError(t, err)
	want := describe(in, "from-go", 6, "http://10.9.8.7:9090")
	assert.Equal(t, []string{want, "end"}, java(t, ctx, "list", connect(t), base, "svc"))

	require.NoError(t, stdin.Close())
	require.Equal(t, "unregistered", next())
	ins, err = d.Instances(ctx, "svc")
	require.NoError(t, err)
	assert.Empty(t, ins)
}
