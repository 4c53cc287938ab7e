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
)

func TestIntegration_Znode_RoundTrip(t *testing.T) {
	e := newEnv(t)
	ok := func(stdin []byte, args ...string) string {
		t.Helper()
		r := runZkr(t, stdin, e.args(args...)...)
		require.Equal(t, 0, r.code, "zkr %v: %s", args, r.stderr)
		return r.stdout
	}
	assert.Equal(t, "/app\n", ok(nil, "create", "/app", "v1"))
	assert.Equal(t, "v1", ok(nil, "get", "/app"))
	ok(nil, "create", "/app/b")
	seq := strings.TrimSpace(ok(nil, "create", "-s", "/app/job-"))
	assert.Regexp(t, `^/app/job-\d{10}$`, seq, "plain sequential name, no protection prefix")
	ok(nil, "create", "-c", "/app/c")
	ok(nil, "create", "--ttl", "1h", "/app/t")

	assert.Equal(t, "b\nc\n"+strings.TrimPrefix(seq, "/app/")+"\nt\n", ok(nil, "ls", "/app"))
	tree := ok(nil, "ls", "-R", "/app")
	assert.Equal(t, []string{"/app", "/app/b", "/app/c", seq, "/app/t"}, strings.Fields(tree))

	// Binary-safe set and get, from stdin.
	bin := []byte{'a', 0, 0xff, '\n', 0x80, 'z'}
	ok(bin, "set", "/app")
	assert.Equal(t, string(bin), ok(nil, "get", "/app"))

	var st map[string]any
	require.NoError(t, json.Unmarshal([]byte(ok(nil, "stat", "--json", "/app")), &st))
	assert.EqualValues(t, 1, st["version"])
	assert.EqualValues(t, 4, st["num_children"])

	// Versioned set and delete.
	r := runZkr(t, nil, e.args("set", "-v", "7", "/app", "x")...)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "version")
	ok(nil, "set", "-v", "1", "/app", "x")
	r = runZkr(t, nil, e.args("delete", "/app")...)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "deleteall")
	ok(nil, "delete", "/app/b")
	ok(nil, "deleteall", "/app")
	r = runZkr(t, nil, e.args("get", "/app")...)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "get /app: node does not exist")
}

func TestIntegration_Znode_JSON(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, nil, e.args("create", "/j", "text")...)
	require.Equal(t, 0, r.code, r.stderr)
	r = runZkr(t, nil, e.args("get", "--json", "/j")...)
	require.Equal(t, 0, r.code, r.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, "text", got["data"])
	assert.Equal(t, "dGV4dA==", got["data_base64"])
	r = runZkr(t, nil, e.args("ls", "--json", "/")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.JSONEq(t, `["j"]`, r.stdout)
}

func TestIntegration_Znode_WatchPrintsEventsUntilInterrupted(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, out, errb := zkrCmd(ctx, nil, e.args("watch", "/w")...)
	require.NoError(t, w.Start())
	require.Eventually(t, func() bool { return strings.Contains(errb.String(), "watching /w") }, 20*time.Second, 20*time.Millisecond)
	events := []string{"NodeCreated /w", "NodeDataChanged /w", "NodeChildrenChanged /w", "NodeDeleted /w"}
	steps := [][]string{{"create", "/w"}, {"set", "/w", "x"}, {"create", "/w/k"}, {"deleteall", "/w"}}
	for i, step := range steps {
		r := runZkr(t, nil, e.args(step...)...)
		require.Equal(t, 0, r.code, r.stderr)
		require.Eventually(t, func() bool { return strings.Contains(out.String(), events[i]) }, 10*time.Second, 20*time.Millisecond,
			"after %v: %s", step, out.String())
	}
	require.NoError(t, w.Process.Signal(syscall.SIGINT))
	assert.Equal(t, 0, waitExit(t, w, 20*time.Second), errb.String())
}
