package zktest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// EnvServers names the environment variable that, when set to
// "host:port[,host:port...]", makes Servers return those addresses instead
// of starting a server.
const EnvServers = "ZK_TEST_SERVERS"

// shared is the per-test-binary server behind Servers.
var shared struct {
	mu     sync.Mutex
	srv    *Server
	err    error
	closed bool
}

// Servers returns the addresses of the ZooKeeper servers that tests of this
// binary share: those in $ZK_TEST_SERVERS if it is set, otherwise a single
// standalone server that is started on first use (default options) and
// stopped by Main (or, on Linux, killed when the test process exits).
//
// If no server can be started, Servers calls t.Fatalf with instructions
// for installing ZooKeeper; it never skips. Tests that should not run under
// -short call SkipIfShort first.
//
// Tests share the server, so they must use distinct paths (e.g. a root
// znode named after t.Name()) and must not stop it; use NewServer or
// NewEnsemble for a private server that may be stopped and restarted.
func Servers(t testing.TB) []string {
	t.Helper()
	if env := strings.TrimSpace(os.Getenv(EnvServers)); env != "" {
		var addrs []string
		for _, a := range strings.Split(env, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) > 0 {
			return addrs
		}
	}
	srv, err := sharedServer()
	if err != nil {
		msg := err.Error()
		if !strings.Contains(msg, InstallHint) {
			msg += "\n" + InstallHint
		}
		t.Fatalf("zktest: cannot start the shared ZooKeeper server: %s", msg)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("zktest: tail of shared ZooKeeper %s output:\n%s", srv.Addr(), srv.LogTail(logTailLines))
		}
	})
	return []string{srv.Addr()}
}

func sharedServer() (*Server, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.closed {
		return nil, errors.New("zktest: Servers called after Main stopped the shared server")
	}
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = StartServer()
	}
	return shared.srv, shared.err
}

func closeShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.closed = true
	if shared.srv == nil {
		return nil
	}
	err := shared.srv.Close()
	shared.srv = nil
	return err
}

// SkipIfShort skips the test under `go test -short`. Tests that need a
// ZooKeeper server call it first.
func SkipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a ZooKeeper server; skipped under -short")
	}
}

// MainOption configures Main.
type MainOption func(*mainConfig)

type mainConfig struct {
	leakCheck bool
	leakOpts  []goleak.Option
}

// WithLeakCheck makes Main look for leaked goroutines (goleak.Find with
// opts) after a successful run, once the shared server is stopped; leaks
// are printed and make Main return 1. Server JVMs are processes, not
// goroutines, so they never show up; goleak ignores the testing package's
// own goroutines by itself.
func WithLeakCheck(opts ...goleak.Option) MainOption {
	return func(c *mainConfig) {
		c.leakCheck = true
		c.leakOpts = append(c.leakOpts, opts...)
	}
}

// Main runs the tests and then stops the shared server started by Servers,
// if any. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(zktest.Main(m, zktest.WithLeakCheck())) }
//
// WithLeakCheck replaces goleak.VerifyTestMain, which cannot be combined
// with Main because it calls os.Exit itself. Nothing is started up front,
// so under -short (with integration tests calling SkipIfShort) no server
// runs at all.
func Main(m *testing.M, opts ...MainOption) int {
	var mc mainConfig
	for _, o := range opts {
		o(&mc)
	}
	code := m.Run()
	if err := closeShared(); err != nil {
		fmt.Fprintf(os.Stderr, "zktest: stopping the shared ZooKeeper server: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	if mc.leakCheck && code == 0 {
		if err := goleak.Find(mc.leakOpts...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	return code
}
