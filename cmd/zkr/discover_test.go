package main

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/discovery"
)

// zkr register keeps the instance registered while CMD runs (CMD itself
// lists it with zkr discover and zkr members), passes CMD's status
// through, and unregisters when CMD exits.
func TestIntegration_Register_WhileCMDRuns(t *testing.T) {
	e := newEnv(t)
	inner := strings.Join(append([]string{zkrBin}, e.args("discover", "--json", "web")...), " ") + " && " +
		strings.Join(append([]string{zkrBin}, e.args("discover", "web")...), " ") + " && " +
		strings.Join(append([]string{zkrBin}, e.args("members", "/services/web")...), " ") +
		` && echo "env $ZKR_SERVICE $ZKR_INSTANCE_ID $ZKR_INSTANCE_PATH" && exit 7`
	r := runZkr(t, nil, e.args("register", "--id", "w1", "--address", "10.0.0.7", "--port", "8080",
		"--payload", `{"zone":"eu-1"}`, "web", "--", "sh", "-c", inner)...)
	require.Equal(t, 7, r.code, "CMD's status; stderr:\n%s", r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 4, r.stdout)
	var recs []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &recs), lines[0])
	require.Len(t, recs, 1)
	in, err := discovery.Unmarshal(recs[0])
	require.NoError(t, err)
	assert.Equal(t, "w1", in.ID)
	assert.Equal(t, 8080, in.Port)
	assert.Equal(t, discovery.JavaMapClass, in.Class())
	assert.Equal(t, `w1 10.0.0.7:8080 {"zone":"eu-1"}`, lines[1])
	assert.True(t, strings.HasPrefix(lines[2], `w1 "{\"name\":\"web\",\"id\":\"w1\"`), lines[2])
	assert.Equal(t, "env web w1 /services/web/w1", lines[3])

	r = runZkr(t, nil, e.args("discover", "web")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stdout, "unregistered when CMD exited")
	r = runZkr(t, nil, e.args("discover", "--json")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "[\"web\"]\n", r.stdout, "the service stays (a container, reaped later by the server)")
	r = runZkr(t, nil, e.args("members", "--json", "/services/web")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "[]\n", r.stdout)

	r = runZkr(t, nil, e.args("register", "--payload", "[1]", "web", "--", "true")...)
	assert.Equal(t, 2, r.code, "a payload that is not an object is a usage error")
}

// zkr discover --watch and zkr members --watch print the changes.
func TestIntegration_Discover_Watch(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, out, errb := zkrCmd(ctx, nil, e.args("discover", "--watch", "web")...)
	require.NoError(t, cmd.Start())
	mcmd, mout, merrb := zkrCmd(ctx, nil, e.args("members", "--watch", "/services/web")...)
	require.NoError(t, mcmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = mcmd.Process.Kill(); _ = cmd.Wait(); _ = mcmd.Wait() }()

	d, err := discovery.New(e.c, "/services")
	require.NoError(t, err)
	r, err := d.Register(ctx, discovery.Instance{Name: "web", ID: "w1", Address: "h", Port: 80})
	require.NoError(t, err)
	has := func(b *syncBuffer, s string) func() bool {
		return func() bool { return strings.Contains(b.String(), s) }
	}
	require.Eventually(t, has(out, "w1 h:80"), 20*time.Second, 10*time.Millisecond, errb.String())
	// members must have seen w1 before it leaves: a watch that starts
	// after the departure has nothing to report (the race behind this
	// test's failures under load).
	require.Eventually(t, has(mout, `w1 "{\"name\":\"web\"`), 20*time.Second, 10*time.Millisecond, "stdout:\n%s\nstderr:\n%s", mout, merrb)
	in := r.Instance()
	in.Port = 81
	require.NoError(t, r.Update(ctx, in))
	require.Eventually(t, has(out, "~ w1 h:81"), 20*time.Second, 10*time.Millisecond, errb.String())
	require.NoError(t, r.Unregister(ctx))
	require.Eventually(t, has(out, "- w1 h:81"), 20*time.Second, 10*time.Millisecond, "stdout:\n%s\nstderr:\n%s", out, errb)
	require.Eventually(t, has(mout, `- w1 "{\"name\":\"web\"`), 20*time.Second, 10*time.Millisecond, "stdout:\n%s\nstderr:\n%s", mout, merrb)

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	assert.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "interrupted watch exits 0: %s", errb.String())
}
