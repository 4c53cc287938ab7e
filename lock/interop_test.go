package lock_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/curatortest"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Curator interop: a Java program (testdata/Interop.java) on Debian's
// Curator 5.4 contends with Go contenders on one path. Both sides record
// every entry and exit in a shared state znode with version checks, so an
// overlap that mutual exclusion forbids is a violation on either side.

// holder records entries into and exits from a critical section in the
// shared state znode, as Interop.java does.
type holder struct {
	c          *zkrecipes.Client
	violations atomic.Int64
}

func (h *holder) hold(ctx context.Context, exclusive bool, bound int) error {
	if err := h.update(ctx, exclusive, bound, true); err != nil {
		return err
	}
	time.Sleep(3 * time.Millisecond) // work inside the critical section
	return h.update(ctx, exclusive, bound, false)
}

func (h *holder) update(ctx context.Context, exclusive bool, bound int, enter bool) error {
	for {
		data, st, err := h.c.Get(ctx, "/state")
		if err != nil {
			return err
		}
		var inside, switches int
		var side string
		if _, err := fmt.Sscanf(string(data), "%d %s %d", &inside, &side, &switches); err != nil {
			return fmt.Errorf("state %q: %w", data, err)
		}
		next := 0
		if enter {
			if (exclusive && inside != 0) || (!exclusive && (inside < 0 || (bound > 0 && inside+1 > bound))) {
				h.violations.Add(1)
			}
			next = max(inside, 0) + 1
			if exclusive {
				next = -1
			}
			if side != "go" {
				switches++
			}
			side = "go"
		} else {
			if (exclusive && inside != -1) || (!exclusive && inside < 1) {
				h.violations.Add(1)
			}
			next = max(inside-1, 0)
		}
		_, err = h.c.Set(ctx, "/state", fmt.Appendf(nil, "%d %s %d", next, side, switches), st.Version)
		if errors.Is(err, zk.ErrBadVersion) {
			if exclusive {
				h.violations.Add(1)
				return nil
			}
			continue
		}
		return err
	}
}

func TestIntegration_Interop_Curator(t *testing.T) {
	zktest.SkipIfShort(t)
	jvm := curatortest.Compile(t, "testdata/Interop.java")
	for _, mode := range []string{"mutex", "rw", "sem"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			runInterop(t, jvm, mode)
		})
	}
}

func runInterop(t *testing.T, jvm curatortest.JVM, mode string) {
	const goWorkers, javaIterations, maxLeases = 3, 40, 2
	ns, cs := clients(t, goWorkers)
	ctx := zktest.Context(t, 90*time.Second)
	_, err := cs[0].Create(ctx, "/state", []byte("0 none 0"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)

	cmd := jvm.Command("Interop",
		strings.Join(zktest.Servers(t), ","), mode, ns+"/lk", ns+"/state", fmt.Sprint(javaIterations), fmt.Sprint(maxLeases))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	ready := make(chan struct{}) // closed once Java is connected (or gone)
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var result string
	waitJava := make(chan error, 1)
	go func() {
		seen := false
		for l := range lines {
			if l == "READY" && !seen {
				seen = true
				close(ready)
			}
			if strings.HasPrefix(l, "RESULT ") {
				result = l
			}
		}
		if !seen {
			close(ready)
		}
		waitJava <- cmd.Wait()
	}()
	select {
	case <-ready:
	case <-ctx.Done():
		t.Fatal("the Java program did not start")
	}

	// Go contenders loop until the Java program is done (and at least a few
	// rounds each), so the two sides interleave throughout.
	h := &holder{c: cs[0]}
	var javaExited atomic.Bool
	var goAcq atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, goWorkers)
	for i := range goWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work := goWork(cs[i], mode, i, maxLeases)
			for n := 0; n < 5 || !javaExited.Load(); n++ {
				if err := work(ctx, h); err != nil {
					errs <- err
					return
				}
				goAcq.Add(1)
			}
		}()
	}
	var jerr error
	select {
	case jerr = <-waitJava:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		jerr = <-waitJava
	}
	javaExited.Store(true)
	wg.Wait()
	close(errs)
	require.NoError(t, jerr, "java: %s", stderr.String())
	for err := range errs {
		require.NoError(t, err)
	}

	var javaAcq, javaViolations int
	_, err = fmt.Sscanf(result, "RESULT acquisitions=%d violations=%d", &javaAcq, &javaViolations)
	require.NoError(t, err, "java output %q, stderr: %s", result, stderr.String())
	assert.Equal(t, javaIterations, javaAcq)
	assert.Zero(t, javaViolations, "the Java side saw an overlap")
	assert.Zero(t, h.violations.Load(), "the Go side saw an overlap")
	data, _, err := cs[0].Get(ctx, "/state")
	require.NoError(t, err)
	var inside, switches int
	var side string
	_, err = fmt.Sscanf(string(data), "%d %s %d", &inside, &side, &switches)
	require.NoError(t, err)
	assert.Zero(t, inside)
	assert.GreaterOrEqual(t, switches, 4, "Go and Java took turns")
	t.Logf("%s: go %d, java %d acquisitions, %d switches between the sides", mode, goAcq.Load(), javaAcq, switches)
	eventuallyEphemerals(t, cs[0], "/lk", 0, 15*time.Second)
}

// goWork returns one acquire → hold → release round of the Go side.
func goWork(c *zkrecipes.Client, mode string, i, maxLeases int) func(context.Context, *holder) error {
	switch mode {
	case "mutex":
		m := zktest.Must(lock.NewMutex(c, "/lk"))
		return func(ctx context.Context, h *holder) error {
			if err := m.Lock(ctx); err != nil {
				return err
			}
			defer m.Unlock(context.WithoutCancel(ctx))
			return h.hold(ctx, true, 0)
		}
	case "rw":
		rw := zktest.Must(lock.NewRWMutex(c, "/lk"))
		n := i
		return func(ctx context.Context, h *holder) error {
			n++
			if n%3 == 0 {
				if err := rw.Lock(ctx); err != nil {
					return err
				}
				defer rw.Unlock(context.WithoutCancel(ctx))
				return h.hold(ctx, true, 0)
			}
			if err := rw.RLock(ctx); err != nil {
				return err
			}
			defer rw.RUnlock(context.WithoutCancel(ctx))
			return h.hold(ctx, false, 0)
		}
	default:
		s := zktest.Must(lock.NewSemaphore(c, "/lk", maxLeases))
		return func(ctx context.Context, h *holder) error {
			l, err := s.Acquire(ctx)
			if err != nil {
				return err
			}
			defer l.Release(context.WithoutCancel(ctx))
			return h.hold(ctx, false, maxLeases)
		}
	}
}
