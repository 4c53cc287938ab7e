package counter_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/counter"
	"github.com/zkrecipes/zkrecipes/internal/curatortest"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Curator interop: testdata/CounterInterop.java runs Debian's Curator 5.4
// DistributedAtomicLong and SharedCount on the same znodes as Go.

// curator runs one CounterInterop command on znode path (absolute: the
// namespace is prepended) and returns its last output line.
func curator(t *testing.T, ctx context.Context, c *zkrecipes.Client, args ...string) string {
	t.Helper()
	jvm := curatortest.Compile(t, "testdata/CounterInterop.java")
	args[1] = c.Namespace() + args[1]
	full := append([]string{strings.Join(zktest.Servers(t), ",")}, args...)
	out, err := jvm.CommandContext(ctx, "CounterInterop", full...).CombinedOutput()
	require.NoError(t, err, "CounterInterop %v: %s", args, out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

func TestIntegration_AtomicLong_CuratorInterop(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 80*time.Second)
	cs := clientsAt(t, 2, nil)
	jvm := curatortest.Compile(t, "testdata/CounterInterop.java")
	const javaIncs, goIncs = 400, 400

	// Java starts, says "ready", then increments; Go increments meanwhile.
	cmd := jvm.CommandContext(ctx, "CounterInterop", strings.Join(zktest.Servers(t), ","),
		"atomic-inc", cs[0].Namespace()+"/ctr", fmt.Sprint(javaIncs))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "java did not start")
	require.Equal(t, "ready", lines.Text())

	var wg sync.WaitGroup
	errs := make(chan error, len(cs))
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := zktest.Must(counter.NewAtomicLong(c, "/ctr"))
			for k := 0; k < goIncs; k++ {
				if _, err := a.Increment(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var last string
	for lines.Scan() {
		last = lines.Text()
	}
	require.NoError(t, cmd.Wait())
	assert.Equal(t, fmt.Sprintf("done %d", javaIncs), last)

	want := int64(javaIncs + len(cs)*goIncs)
	got, err := zktest.Must(counter.NewAtomicLong(cs[0], "/ctr")).Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, got, "Go and Curator increments together")
	assert.Equal(t, fmt.Sprintf("value %d", want), curator(t, ctx, cs[0], "atomic-get", "/ctr"))

	// Values written by one side read the same on the other.
	require.NoError(t, zktest.Must(counter.NewAtomicLong(cs[0], "/ctr")).Set(ctx, 1<<40+5))
	assert.Equal(t, fmt.Sprintf("value %d", int64(1<<40+5)), curator(t, ctx, cs[0], "atomic-get", "/ctr"))
	assert.Equal(t, "ok", curator(t, ctx, cs[0], "atomic-set", "/ctr", "-9"))
	got, err = zktest.Must(counter.NewAtomicLong(cs[0], "/ctr")).Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(-9), got)
}

func TestIntegration_SharedCount_CuratorInterop(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	c := zktest.Client(t)
	s := zktest.Must(counter.NewSharedCount(c, "/sc", 0))
	require.NoError(t, s.Set(ctx, 12345))
	v, err := s.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("count 12345 version %d", v.Version), curator(t, ctx, c, "shared-get", "/sc"))

	assert.Equal(t, "ok", curator(t, ctx, c, "shared-set", "/sc", "-77"))
	v, err = s.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int32(-77), v.Count)

	// A count seeded by Curator reads the same in Go.
	assert.Equal(t, "count 0 version 0", curator(t, ctx, c, "shared-get", "/fresh"))
	v, err = zktest.Must(counter.NewSharedCount(c, "/fresh", 99)).Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, counter.Value{Count: 0, Version: 0}, v)
}
