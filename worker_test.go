package zkrecipes

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// workerRunning reports whether a pooled worker goroutine exists.
func workerRunning() bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "zkrecipes.(*Client).worker")
}

// A pooled worker serves job after job and exits once idle for
// idleWorker, however many jobs it ran before.
func TestClient_WorkerExitsWhenIdle(t *testing.T) {
	c := &Client{jobs: make(chan func()), closing: make(chan struct{})}
	start := time.Now()
	for range 1000 {
		done := make(chan struct{})
		require.True(t, c.spawn(func() { close(done) }))
		<-done
	}
	c.wg.Wait()
	lastJob := time.Now()
	assert.True(t, workerRunning(), "no worker right after its jobs")
	require.Eventually(t, func() bool { return !workerRunning() }, idleWorker+3*time.Second, 10*time.Millisecond, "the idle worker did not exit")
	assert.GreaterOrEqual(t, time.Since(lastJob), idleWorker-50*time.Millisecond, "the worker exited before it was idle for %v (jobs took %v)", idleWorker, lastJob.Sub(start))
	c.workers.Wait()
}
