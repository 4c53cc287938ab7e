package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readPID waits for a file holding a pid and a newline.
func readPID(t *testing.T, file string) int {
	t.Helper()
	var pid int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(file)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}, 20*time.Second, 20*time.Millisecond)
	return pid
}

// gone reports whether pid has exited (a zombie waiting for its reaper
// counts as exited).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) STATE ...: comm may hold spaces, so look after the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

// When the lock is lost, the work CMD started stops too: CMD runs in a
// process group of its own and zkr signals the group. sh runs sleep as its
// child here, as in "sh -c 'sleep 313; ...'".
func TestIntegration_Lock_LostStopsCommandsChildren(t *testing.T) {
	e := newEnv(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, _, errb := zkrCmd(ctx, nil, e.args("lock", "--grace", "2s", "/locks/pg", "--",
		"sh", "-c", `sleep 313 & echo $! > "$P"; wait; echo after`)...)
	cmd.Env = append(cmd.Env, "P="+pidFile)
	require.NoError(t, cmd.Start())
	grandchild := readPID(t, pidFile)
	t.Cleanup(func() { _ = syscall.Kill(grandchild, syscall.SIGKILL) })

	kids, _, err := e.c.Children(ctx, "/locks/pg")
	require.NoError(t, err)
	require.Len(t, kids, 1)
	require.NoError(t, e.c.Delete(ctx, "/locks/pg/"+kids[0], -1))

	assert.Equal(t, exitLost, waitExit(t, cmd, 20*time.Second), errb.String())
	assert.Eventually(t, func() bool { return gone(grandchild) }, 5*time.Second, 20*time.Millisecond,
		"CMD's child (sleep 313) must stop with the lock")
}

// One SIGINT sent to zkr and its process group (as "timeout -s INT zkr
// ..." does: to zkr, then to its group) reaches zkr twice; that is one
// interrupt, not two: zkr stops CMD, releases the lock at once and exits
// with 130, and the next acquirer does not wait for a session to expire.
func TestIntegration_Lock_GroupSIGINTReleases(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, _, errb := zkrCmd(ctx, nil, e.args("--session-timeout", "30s", "lock", "/locks/int", "--", "sleep", "30")...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // zkr leads a group, like under timeout(1)
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.Contains(errb.String(), "acquired") }, 20*time.Second, 20*time.Millisecond)

	// The kernel merges a signal into one still pending, so the group's
	// copy is sent once zkr has taken the first one.
	start := time.Now()
	require.NoError(t, syscall.Kill(cmd.Process.Pid, syscall.SIGINT))
	require.Eventually(t, func() bool { return strings.Contains(errb.String(), "interrupted") }, 10*time.Second, time.Millisecond)
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGINT))
	assert.Equal(t, 128+int(syscall.SIGINT), waitExit(t, cmd, 20*time.Second), errb.String())
	assert.NotContains(t, errb.String(), "second")
	assert.NotContains(t, errb.String(), "without cleanup")
	kids, _, err := e.c.Children(ctx, "/locks/int")
	if err == nil {
		assert.Empty(t, kids, "the lock is released when zkr exits, not when its session expires")
	}
	r := runZkr(t, nil, e.args("lock", "--timeout", "5s", "/locks/int", "--", "true")...)
	assert.Equal(t, 0, r.code, r.stderr)
	t.Logf("released and re-acquired %v after the signal", time.Since(start))
}

// A JSON status report tells zkr's own exit statuses from CMD's: a CMD
// that exits 3 is not a lost lock.
func TestIntegration_Lock_ExitStatusReportTellsCommandFromZkr(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, nil, e.args("--json", "lock", "/locks/st", "--", "sh", "-c", "exit 3")...)
	assert.Equal(t, 3, r.code)
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lastLine(r.stderr)), &rec), r.stderr)
	assert.Equal(t, "command", rec["by"])
	assert.EqualValues(t, 3, rec["exit"])

	r = runZkr(t, nil, e.args("--high-exit-codes", "lock", "/locks/st", "--", "sh", "-c", "exit 3")...)
	assert.Equal(t, 3, r.code, "CMD's status is not mapped")
	r = runZkr(t, nil, e.args("--high-exit-codes", "lock", "--semaphore", "0", "/locks/st")...)
	assert.Equal(t, highExitBase+exitUsage, r.code, "zkr's own status is")
}
