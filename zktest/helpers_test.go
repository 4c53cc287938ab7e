package zktest_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestMain(m *testing.M) {
	os.Exit(zktest.Main(m, zktest.WithLeakCheck()))
}

var acl = zk.WorldACL(zk.PermAll)

// testLogger sends go-zookeeper's log to t.Log while the test runs.
type testLogger struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (l *testLogger) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf("zk: "+format, args...)
	}
}

// connect opens a go-zookeeper client (through dialer if not nil) that is
// closed when the test ends.
func connect(t testing.TB, servers []string, sessionTimeout time.Duration, dialer zk.Dialer) *zk.Conn {
	t.Helper()
	l := &testLogger{t: t}
	t.Cleanup(func() {
		l.mu.Lock()
		l.done = true
		l.mu.Unlock()
	})
	var c *zk.Conn
	var err error
	if dialer != nil {
		c, _, err = zk.Connect(servers, sessionTimeout, zk.WithLogger(l), zk.WithDialer(dialer))
	} else {
		c, _, err = zk.Connect(servers, sessionTimeout, zk.WithLogger(l))
	}
	if err != nil {
		t.Fatalf("zk.Connect: %v", err)
	}
	t.Cleanup(c.Close)
	waitFor(t, 20*time.Second, "a session", func() bool { return c.State() == zk.StateHasSession })
	return c
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// testPath returns a znode path unique to the test, creating it.
func testPath(t testing.TB, c *zk.Conn) string {
	t.Helper()
	p := "/zktest-" + strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()) + "-" + time.Now().Format("150405.000000000")
	if _, err := c.Create(p, nil, 0, acl); err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
	return p
}
