package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/lock"
)

// markerScript appends "start ID" and "end ID" around a short sleep.
const markerScript = `echo "start $ID" >> "$F"; sleep 0.2; echo "end $ID" >> "$F"`

func TestIntegration_Lock_TwoProcessesNeverOverlap(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "markers")
	const procs, rounds = 2, 3
	runConcurrently(t, procs, rounds, func(p, r int) ([]string, []string) {
		return e.args("lock", "/locks/job", "--", "sh", "-c", markerScript), []string{fmt.Sprintf("ID=%d-%d", p, r), "F=" + file}
	})
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2*procs*rounds, "markers:\n%s", data)
	for i := 0; i < len(lines); i += 2 {
		id := strings.TrimPrefix(lines[i], "start ")
		assert.True(t, strings.HasPrefix(lines[i], "start "), "line %d: %q\n%s", i, lines[i], data)
		assert.Equal(t, "end "+id, lines[i+1], "critical sections interleaved:\n%s", data)
	}
}

func TestIntegration_Lock_LostStopsCommandAndExits3(t *testing.T) {
	e := newEnv(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, _, errb := zkrCmd(ctx, nil, e.args("lock", "--grace", "1s", "/locks/lost", "--",
		"sh", "-c", `echo $$ > "$P"; exec sleep 30`)...)
	cmd.Env = append(cmd.Env, "P="+pidFile)
	require.NoError(t, cmd.Start())
	var pid int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}, 20*time.Second, 20*time.Millisecond)

	// Someone else (an operator) deletes the lock node: the hold is lost.
	kids, _, err := e.c.Children(ctx, "/locks/lost")
	require.NoError(t, err)
	require.Len(t, kids, 1)
	require.NoError(t, e.c.Delete(ctx, "/locks/lost/"+kids[0], -1))

	assert.Equal(t, exitLost, waitExit(t, cmd, 20*time.Second), errb.String())
	assert.Contains(t, errb.String(), "LOST")
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "CMD must be stopped")
}

func TestIntegration_Lock_TimeoutExits4AndLeavesNothing(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := lock.NewMutex(e.c, "/locks/busy")
	require.NoError(t, err)
	require.NoError(t, m.Lock(ctx))
	defer m.Unlock(context.WithoutCancel(ctx))

	start := time.Now()
	r := runZkr(t, nil, e.args("lock", "--timeout", "500ms", "/locks/busy", "--", "echo", "never")...)
	assert.Equal(t, exitTimeout, r.code, r.stderr)
	assert.Contains(t, r.stderr, "timed out")
	assert.NotContains(t, r.stdout, "never")
	assert.Less(t, time.Since(start), 15*time.Second)
	kids, _, err := e.c.Children(ctx, "/locks/busy")
	require.NoError(t, err)
	assert.Len(t, kids, 1, "only the library's holder remains: %v", kids)
}

func TestIntegration_Lock_SignalStopsCommandAndReleases(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, _, errb := zkrCmd(ctx, nil, e.args("lock", "/locks/sig", "--", "sleep", "30")...)
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.Contains(errb.String(), "acquired") }, 20*time.Second, 20*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 128+int(syscall.SIGTERM), waitExit(t, cmd, 20*time.Second), "CMD's status passes through: %s", errb.String())
	kids, _, err := e.c.Children(ctx, "/locks/sig")
	if err == nil {
		assert.Empty(t, kids, "the lock node is released")
	}
}

func TestIntegration_Lock_ExitStatusPassesThrough(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, nil, e.args("lock", "/locks/st", "--", "sh", "-c", `echo "token=$ZKR_LOCK_TOKEN"; exit 7`)...)
	assert.Equal(t, 7, r.code, r.stderr)
	assert.Regexp(t, `token=[1-9]\d*`, r.stdout)
	r = runZkr(t, nil, e.args("lock", "/locks/st", "--", "no-such-command-zkr")...)
	assert.Equal(t, 127, r.code, r.stderr)
}

func TestIntegration_Lock_SemaphoreAdmitsN(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "markers")
	const procs, slots = 4, 2
	runConcurrently(t, procs, 1, func(p, _ int) ([]string, []string) {
		return e.args("lock", "--semaphore", strconv.Itoa(slots), "/sem", "--", "sh", "-c", markerScript), []string{fmt.Sprintf("ID=%d", p), "F=" + file}
	})
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	inside, most := 0, 0
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(l, "start") {
			inside++
		} else {
			inside--
		}
		most = max(most, inside)
	}
	assert.LessOrEqual(t, most, slots, "markers:\n%s", data)
}
