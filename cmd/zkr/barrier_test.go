package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIntegration_Barrier_SetWaitRemove(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, 0, runZkr(t, nil, e.args("barrier", "set", "/gate")...).code)
	r := runZkr(t, nil, e.args("barrier", "wait", "--timeout", "300ms", "/gate")...)
	assert.Equal(t, exitTimeout, r.code, r.stderr)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, _, errb := zkrCmd(ctx, nil, e.args("barrier", "wait", "/gate")...)
	require.NoError(t, w.Start())
	require.Equal(t, 0, runZkr(t, nil, e.args("barrier", "remove", "/gate")...).code)
	assert.Equal(t, 0, waitExit(t, w, 20*time.Second), errb.String())
}

func TestIntegration_Barrier_EnterRunsTogether(t *testing.T) {
	e := newEnv(t)
	const members = 3
	file := filepath.Join(t.TempDir(), "markers")
	runConcurrently(t, members, 1, func(p, _ int) ([]string, []string) {
		return e.args("barrier", "enter", "/round", "--members", fmt.Sprint(members), "--", "sh", "-c", `echo "in $ID" >> "$F"`),
			[]string{fmt.Sprintf("ID=%d", p), "F=" + file}
	})
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Len(t, strings.Fields(string(data)), 2*members)
}

// enter --detach and leave, from separate shell commands: the members
// meet, return, and later leave together; their nodes are gone after.
func TestIntegration_Barrier_DetachThenLeave(t *testing.T) {
	e := newEnv(t)
	pidRe := regexp.MustCompile(`member pid (\d+)`)
	both := func(args func(id string) []string) []result {
		out := make([]result, 2)
		var wg sync.WaitGroup
		for i, id := range []string{"a", "b"} {
			wg.Go(func() { out[i] = runZkr(t, nil, args(id)...) })
		}
		wg.Wait()
		return out
	}
	entered := both(func(id string) []string {
		return e.args("barrier", "enter", "--detach", "--id", id, "/round", "--members", "2", "--timeout", "20s")
	})
	for _, r := range entered {
		if m := pidRe.FindStringSubmatch(r.stderr); m != nil {
			pid, _ := strconv.Atoi(m[1])
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
		}
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stderr, "entered /round")
	}
	ctx := t.Context()
	kids, _, err := e.c.Children(ctx, "/round")
	require.NoError(t, err)
	assert.Len(t, kids, 2, "both members stay after their enter commands returned")

	for _, r := range both(func(id string) []string { return e.args("barrier", "leave", "--id", id, "/round") }) {
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stderr, "left /round")
	}
	kids, _, err = e.c.Children(ctx, "/round")
	if err == nil {
		assert.Empty(t, kids)
	}
	r := runZkr(t, nil, e.args("barrier", "leave", "--id", "a", "/round")...)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "no detached member")
}
