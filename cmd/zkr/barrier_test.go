package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
