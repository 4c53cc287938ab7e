package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	errs := make(chan error, members)
	var wg sync.WaitGroup
	for i := 0; i < members; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd, _, errb := zkrCmd(ctx, nil, e.args("barrier", "enter", "/round", "--members", fmt.Sprint(members),
				"--", "sh", "-c", `echo "in $ID" >> "$F"`)...)
			cmd.Env = append(cmd.Env, fmt.Sprintf("ID=%d", i), "F="+file)
			if err := cmd.Run(); err != nil {
				errs <- fmt.Errorf("member %d: %v: %s", i, err, errb.String())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Len(t, strings.Fields(string(data)), 2*members)
}
