package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIntegration_Elect_KilledLeaderIsReplaced(t *testing.T) {
	e := newEnv(t)
	const sessionTimeout = 2 * time.Second
	file := filepath.Join(t.TempDir(), "leaders")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	procs := map[string]*exec.Cmd{}
	errbs := map[string]*syncBuffer{}
	for _, id := range []string{"A", "B"} {
		cmd, _, errb := zkrCmd(ctx, nil, e.args("--session-timeout", sessionTimeout.String(), "elect", "/elect/job", "--id", id,
			"--", "sh", "-c", `echo "$ZKR_ELECT_ID $$ $ZKR_ELECT_TOKEN" >> "$F"; exec sleep 60`)...)
		cmd.Env = append(cmd.Env, "F="+file)
		require.NoError(t, cmd.Start())
		procs[id], errbs[id] = cmd, errb
		t.Cleanup(func() { _ = cmd.Process.Kill() })
	}
	lines := func() [][]string {
		b, _ := os.ReadFile(file)
		var out [][]string
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) == 3 {
				out = append(out, f)
			}
		}
		return out
	}
	require.Eventually(t, func() bool { return len(lines()) == 1 }, 20*time.Second, 20*time.Millisecond)
	first := lines()[0]
	leader, follower := first[0], "A"
	if leader == "A" {
		follower = "B"
	}
	oldPid, _ := strconv.Atoi(first[1])

	// Both participants are listed, the leader first.
	require.Eventually(t, func() bool {
		r := runZkr(t, nil, e.args("elect", "--list", "--json", "/elect/job")...)
		var ps []map[string]any
		return r.code == 0 && json.Unmarshal([]byte(r.stdout), &ps) == nil && len(ps) == 2 && ps[0]["id"] == leader
	}, 10*time.Second, 100*time.Millisecond)

	killed := time.Now()
	require.NoError(t, procs[leader].Process.Signal(syscall.SIGKILL))
	_ = procs[leader].Wait()
	require.Eventually(t, func() bool { return len(lines()) == 2 }, sessionTimeout+10*time.Second, 20*time.Millisecond,
		"the follower must take over; its stderr:\n%s", errbs[follower].String())
	took := time.Since(killed)
	second := lines()[1]
	assert.Equal(t, follower, second[0])
	assert.Less(t, took, sessionTimeout+6*time.Second, "takeover took %v", took)
	t.Logf("takeover %v after SIGKILL (session timeout %v)", took, sessionTimeout)
	oldTok, _ := strconv.ParseInt(first[2], 10, 64)
	newTok, _ := strconv.ParseInt(second[2], 10, 64)
	assert.Greater(t, newTok, oldTok, "fencing tokens grow")
	// The dead leader's CMD died with it.
	require.Eventually(t, func() bool { return syscall.Kill(oldPid, 0) == syscall.ESRCH }, 5*time.Second, 20*time.Millisecond)

	// Interrupting the new leader stops its CMD, resigns and exits 0.
	newPid, _ := strconv.Atoi(second[1])
	require.NoError(t, procs[follower].Process.Signal(syscall.SIGINT))
	assert.Equal(t, 0, waitExit(t, procs[follower], 20*time.Second), errbs[follower].String())
	assert.ErrorIs(t, syscall.Kill(newPid, 0), syscall.ESRCH)
	kids, _, err := e.c.Children(ctx, "/elect/job")
	if err == nil {
		assert.Empty(t, kids, "resigned")
	}
}

func TestIntegration_Elect_CommandExitEndsRun(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, nil, e.args("elect", "/elect/once", "--id", "solo", "--", "sh", "-c", `echo "leader $ZKR_ELECT_ID"; exit 3`)...)
	assert.Equal(t, 3, r.code, r.stderr)
	assert.Equal(t, "leader solo\n", r.stdout)
}

func TestIntegration_Elect_Observe(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	obs, out, errb := zkrCmd(ctx, nil, e.args("elect", "--observe", "/elect/obs")...)
	require.NoError(t, obs.Start())
	lead, _, _ := zkrCmd(ctx, nil, e.args("elect", "/elect/obs", "--id", "L1")...)
	require.NoError(t, lead.Start())
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "leader L1") }, 20*time.Second, 20*time.Millisecond)
	require.NoError(t, lead.Process.Signal(syscall.SIGINT))
	assert.Equal(t, 0, waitExit(t, lead, 20*time.Second))
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "no leader") }, 20*time.Second, 20*time.Millisecond)
	require.NoError(t, obs.Process.Signal(syscall.SIGINT))
	assert.Equal(t, 0, waitExit(t, obs, 20*time.Second), errb.String())
}
