package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Demo_RunsToCompletion(t *testing.T) {
	zktest.SkipIfShort(t)
	start := time.Now()
	r := runZkr(t, nil, "demo") // no --servers: embedded ZooKeeper
	took := time.Since(start)
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Less(t, took, time.Minute)
	t.Logf("demo took %v", took)
	for _, want := range []string{
		"Starting an embedded ZooKeeper",
		"HOLDS the lock",
		"strictly increasing",
		"took over",
		"there were never two leaders",
		"REDELIVERED",
		"nothing lost",
		"Embedded ZooKeeper stopped",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, "REFUSED")
}
