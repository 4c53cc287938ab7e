package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIntegration_Config_GetSetCompareAndSet(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, nil, e.args("config", "get", "/cfg")...)
	assert.Equal(t, 1, r.code, "absent")
	assert.Contains(t, r.stderr, "does not exist")
	r = runZkr(t, nil, e.args("config", "set", "/cfg", "not json")...)
	assert.Equal(t, 2, r.code)

	r = runZkr(t, nil, e.args("config", "set", "--create", "/cfg", `{"n": 1}`)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = runZkr(t, nil, e.args("config", "set", "--create", "/cfg", `{"n": 2}`)...)
	assert.Equal(t, 1, r.code, "created over an existing node")
	r = runZkr(t, nil, e.args("config", "set", "--version", "0", "/cfg", `{"n": 3}`)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = runZkr(t, nil, e.args("config", "set", "--version", "0", "/cfg", `{"n": 4}`)...)
	assert.Equal(t, 1, r.code, "a stale version wrote")
	r = runZkr(t, nil, e.args("config", "get", "--json", "/cfg")...)
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		Value   map[string]int `json:"value"`
		Version int            `json:"version"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, 3, got.Value["n"])
	assert.Equal(t, 1, got.Version)
}

func TestIntegration_Config_WatchAndTreeWatch(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := runZkr(t, nil, e.args("create", "/tree")...)
	require.Equal(t, 0, r.code, r.stderr)

	cw, cout, cerr := zkrCmd(ctx, nil, e.args("config", "watch", "/tree/cfg")...)
	require.NoError(t, cw.Start())
	tw, tout, terr := zkrCmd(ctx, nil, e.args("watch", "-R", "--json", "--data", "/tree")...)
	require.NoError(t, tw.Start())
	require.Eventually(t, func() bool { return strings.Contains(cout.String(), "absent") }, 20*time.Second, 20*time.Millisecond, cerr.String())
	require.Eventually(t, func() bool { return strings.Contains(tout.String(), `"event":"initialized"`) }, 20*time.Second, 20*time.Millisecond, terr.String())

	r = runZkr(t, nil, e.args("config", "set", "/tree/cfg", `{"on":true}`)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Eventually(t, func() bool { return strings.Contains(cout.String(), `version 0: {"on":true}`) }, 10*time.Second, 20*time.Millisecond, cout.String())
	require.Eventually(t, func() bool {
		return strings.Contains(tout.String(), `"data":"{\"on\":true}"`) && strings.Contains(tout.String(), `"event":"created"`)
	}, 10*time.Second, 20*time.Millisecond, tout.String())
	r = runZkr(t, nil, e.args("delete", "/tree/cfg")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Eventually(t, func() bool { return strings.Count(cout.String(), "absent") == 2 }, 10*time.Second, 20*time.Millisecond, cout.String())
	require.Eventually(t, func() bool { return strings.Contains(tout.String(), `"event":"deleted","mzxid"`) }, 10*time.Second, 20*time.Millisecond, tout.String())

	for _, w := range []*exec.Cmd{cw, tw} {
		require.NoError(t, w.Process.Signal(syscall.SIGINT))
		assert.Equal(t, 0, waitExit(t, w, 20*time.Second))
	}
}
