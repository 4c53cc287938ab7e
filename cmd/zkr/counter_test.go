package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIntegration_Counter_ConcurrentAddsCountOnce(t *testing.T) {
	e := newEnv(t)
	const procs, adds = 4, 5
	runConcurrently(t, procs, adds, func(int, int) ([]string, []string) {
		return e.args("counter", "add", "/n", "2"), nil
	})
	r := runZkr(t, nil, e.args("counter", "get", "/n")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, fmt.Sprintf("%d\n", 2*procs*adds), r.stdout)

	r = runZkr(t, nil, e.args("counter", "add", "/n", "-40")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "0\n", r.stdout)
}

func TestIntegration_Counter_SharedCount(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, nil, e.args("counter", "set", "--shared", "/s", "7")...)
	require.Equal(t, 0, r.code, r.stderr)
	r = runZkr(t, nil, e.args("counter", "add", "--shared", "/s", "-2")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "5\n", r.stdout)
	r = runZkr(t, nil, e.args("get", "/s")...)
	assert.Equal(t, []byte{0, 0, 0, 5}, []byte(r.stdout), "Curator's 4-byte big-endian encoding")
}
