package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// zkrBin is the zkr binary the end-to-end tests run, built once by
// TestMain, or $ZKR_TEST_BIN (e.g. an older build, to see a test fail).
var zkrBin string

func TestMain(m *testing.M) {
	if bin := os.Getenv("ZKR_TEST_BIN"); bin != "" {
		zkrBin = bin
		os.Exit(zktest.Main(m, zktest.WithLeakCheck()))
	}
	dir, err := os.MkdirTemp("", "zkr-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	zkrBin = filepath.Join(dir, "zkr")
	if out, err := exec.Command("go", "build", "-o", zkrBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building zkr: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := zktest.Main(m, zktest.WithLeakCheck())
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is one test's view of the shared server: servers, a fresh namespace
// (removed at the end of the test) and a client in it.
type env struct {
	t       *testing.T
	servers string
	ns      string
	c       *zkrecipes.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	zktest.SkipIfShort(t)
	servers := zktest.Servers(t)
	ns := zktest.Namespace(t)
	c := zktest.ClientAt(t, servers, ns)
	// The namespace node must exist for zkr's reads to work in it.
	require.NoError(t, ensureNamespace(c))
	return &env{t: t, servers: strings.Join(servers, ","), ns: ns, c: c}
}

// args prefixes the global flags that point zkr at this test's namespace.
func (e *env) args(args ...string) []string {
	return append([]string{"--servers", e.servers, "--namespace", e.ns}, args...)
}

type result struct {
	code           int
	stdout, stderr string
}

// zkrCmd returns an unstarted zkr command with a clean environment.
func zkrCmd(ctx context.Context, stdin []byte, args ...string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	cmd := exec.CommandContext(ctx, zkrBin, args...)
	cmd.Env = cleanEnv()
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return cmd, &out, &errb
}

// runZkr runs zkr to completion (bounded by 60s) and returns its result.
func runZkr(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, out, errb := zkrCmd(ctx, stdin, args...)
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "zkr %v: %v", args, err)
		code = ee.ExitCode()
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// runConcurrently runs procs processes side by side, each running its
// zkr commands one after another (each bounded by 60s); command returns
// the arguments of process p's i-th command and extra environment. Every
// failure is a test error.
func runConcurrently(t *testing.T, procs, each int, command func(p, i int) (args, env []string)) {
	t.Helper()
	var wg sync.WaitGroup
	for p := range procs {
		wg.Go(func() {
			for i := range each {
				args, env := command(p, i)
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				cmd, _, errb := zkrCmd(ctx, nil, args...)
				cmd.Env = append(cmd.Env, env...)
				if err := cmd.Run(); err != nil {
					t.Errorf("process %d, command %d (zkr %v): %v: %s", p, i, args, err, errb.String())
				}
				cancel()
			}
		})
	}
	wg.Wait()
}

// cleanEnv is the test process's environment without ZK_SERVERS and
// ZKR_* settings, and with no config file of the user's, so that only the
// flags (and what a test adds) decide where zkr connects.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envServers+"=") && !strings.HasPrefix(kv, envPrefix) && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			out = append(out, kv)
		}
	}
	return append(out, "XDG_CONFIG_HOME="+noConfigDir)
}

// noConfigDir is a directory without a zkr config file.
const noConfigDir = "/nonexistent-zkr-test-config"

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitExit waits for a started command and returns its exit code (-1 if a
// signal killed it).
func waitExit(t *testing.T, cmd *exec.Cmd, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			return 0
		}
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "wait: %v", err)
		return ee.ExitCode()
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not exit within %v", cmd.Args, timeout)
		return 0
	}
}
