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
	"github.com/zkrecipes/zkrecipes/zktest"
)

// jsonKeys decodes one JSON value and checks that an object has keys.
func jsonKeys(t *testing.T, out string, keys ...string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &m), "%q", out)
	for _, k := range keys {
		assert.Contains(t, m, k, "%s", out)
	}
	return m
}

func TestJSON_Version(t *testing.T) {
	r := runZkr(t, nil, "version", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	m := jsonKeys(t, r.stdout, "version", "revision", "go", "zk")
	assert.True(t, strings.HasPrefix(m["go"].(string), "go"), "%v", m)
}

// Every one-shot command that prints data prints one JSON value with
// --json; the fields are those documented in 'zkr help json'.
func TestIntegration_JSON_OneShotCommands(t *testing.T) {
	e := newEnv(t)
	steps := []struct {
		name string
		args []string
		keys []string
		list bool // a JSON array
	}{
		{"create", []string{"create", "/j", "text"}, []string{"path"}, false},
		{"set", []string{"set", "/j", "more"}, []string{"version", "mzxid", "data_length"}, false},
		{"get", []string{"get", "/j"}, []string{"path", "data", "data_base64", "stat"}, false},
		{"stat", []string{"stat", "/j"}, []string{"version", "ctime", "ephemeral_owner", "num_children"}, false},
		{"ls", []string{"ls", "/"}, nil, true},
		{"getacl", []string{"getacl", "/j"}, []string{"path", "acl", "aversion"}, false},
		{"setacl", []string{"setacl", "/j", "world:anyone:cdrwa"}, []string{"aversion"}, false},
		{"counter set", []string{"counter", "set", "/n", "5"}, []string{"value"}, false},
		{"counter add", []string{"counter", "add", "/n", "2"}, []string{"pre", "value", "attempts"}, false},
		{"counter get", []string{"counter", "get", "/n"}, []string{"value"}, false},
		{"shared counter add", []string{"counter", "add", "--shared", "/s", "1"}, []string{"pre", "value"}, false},
		{"queue put", []string{"queue", "put", "/q", "job"}, []string{"id"}, false},
		{"queue len", []string{"queue", "len", "/q"}, []string{"len"}, false},
		{"queue peek", []string{"queue", "peek", "/q"}, []string{"id", "data", "data_base64", "deliveries", "priority"}, false},
		{"queue take", []string{"queue", "take", "--timeout", "10s", "/q"}, []string{"id", "data", "data_base64", "deliveries", "priority"}, false},
		{"elect --list", []string{"elect", "--list", "/e"}, nil, true},
		{"members", []string{"members", "/"}, nil, true},
		{"discover", []string{"discover"}, nil, true},
		{"discover SERVICE", []string{"discover", "none"}, nil, true},
	}
	for _, s := range steps {
		r := runZkr(t, nil, e.args(append([]string{"--json"}, s.args...)...)...)
		require.Equal(t, 0, r.code, "%s: %s", s.name, r.stderr)
		require.Equal(t, 1, strings.Count(r.stdout, "\n"), "%s: one line: %q", s.name, r.stdout)
		if s.list {
			var l []any
			assert.NoError(t, json.Unmarshal([]byte(r.stdout), &l), "%s: %q", s.name, r.stdout)
			continue
		}
		jsonKeys(t, r.stdout, s.keys...)
	}

	// An error is one JSON object on stderr, and stdout stays empty.
	r := runZkr(t, nil, e.args("--json", "get", "/nonexistent")...)
	assert.Equal(t, exitFailure, r.code)
	assert.Empty(t, r.stdout)
	m := jsonKeys(t, lastLine(r.stderr), "level", "exit", "by", "kind", "error")
	assert.Contains(t, m["error"], "node does not exist")
	r = runZkr(t, nil, e.args("--json", "get", "nopath")...)
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "usage", jsonKeys(t, lastLine(r.stderr))["kind"])
}

// startJSON starts a long-running zkr with --json and returns its first
// line of stdout, decoded. The process is stopped when the test ends.
func startJSON(t *testing.T, ctx context.Context, e *env, args ...string) map[string]any {
	t.Helper()
	cmd, out, errb := zkrCmd(ctx, nil, e.args(append([]string{"--json"}, args...)...)...)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "\n") }, 20*time.Second, 10*time.Millisecond, "%v: %s", args, errb.String())
	first, _, _ := strings.Cut(out.String(), "\n")
	return jsonKeys(t, first)
}

// Long-running commands (lock and elect without CMD, elect --observe,
// watch) print JSON lines; their status messages on stderr are JSON too.
func TestIntegration_JSON_LongRunningCommands(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	lockCmd, _, lerr := zkrCmd(ctx, nil, e.args("--json", "lock", "/l")...)
	require.NoError(t, lockCmd.Start())
	require.Eventually(t, func() bool { return strings.Contains(lerr.String(), "holding") }, 20*time.Second, 10*time.Millisecond)
	for _, line := range strings.Split(strings.TrimSpace(lerr.String()), "\n") {
		jsonKeys(t, line, "time", "level", "msg")
	}
	require.NoError(t, lockCmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, waitExit(t, lockCmd, 20*time.Second))

	held := startJSON(t, ctx, e, "lock", "/l2")
	assert.Contains(t, held, "token")
	assert.Contains(t, held, "node")
	assert.Equal(t, "/l2", held["path"])

	leader := startJSON(t, ctx, e, "elect", "--id", "L", "/e")
	assert.Equal(t, true, leader["leader"])
	assert.Equal(t, "L", leader["id"])
	assert.Contains(t, leader, "token")

	obs := startJSON(t, ctx, e, "elect", "--observe", "/e")
	assert.Equal(t, "L", obs["leader"])
	assert.Equal(t, true, obs["has_leader"])
	assert.Contains(t, obs, "time")

	w, out, werr := zkrCmd(ctx, nil, e.args("--json", "watch", "/w")...)
	require.NoError(t, w.Start())
	require.Eventually(t, func() bool { return strings.Contains(werr.String(), "watching") }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, 0, runZkr(t, nil, e.args("create", "/w", "x")...).code)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "\n") }, 20*time.Second, 10*time.Millisecond)
	ev := jsonKeys(t, strings.TrimSpace(out.String()), "time", "event", "path")
	assert.Equal(t, "NodeCreated", ev["event"])
	require.NoError(t, w.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, waitExit(t, w, 20*time.Second))
}

func TestIntegration_JSON_Server(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd, out, errb := zkrCmd(ctx, nil, "server", "--json")
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "\n") }, 60*time.Second, 20*time.Millisecond, errb.String())
	m := jsonKeys(t, strings.TrimSpace(out.String()), "servers", "dir")
	r := runZkr(t, nil, "--servers", m["servers"].(string), "--json", "stat", "/")
	assert.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, waitExit(t, cmd, 30*time.Second), errb.String())
}
