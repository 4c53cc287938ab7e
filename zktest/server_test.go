package zktest_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestServerStopRestartKeepsDataAndSessions(t *testing.T) {
	zktest.SkipIfShort(t)
	s := zktest.NewServer(t)
	require.Equal(t, "standalone", s.Mode())
	require.True(t, strings.HasPrefix(s.Addr(), "127.0.0.1:"), s.Addr())
	require.NotEqual(t, "127.0.0.1:2181", s.Addr())

	// The old client dials only a server that serves: one that connects to
	// a server still starting can sit in go-zookeeper's handshake read for
	// ten read timeouts (66 s here) while its session expires.
	serving := func(network, address string, timeout time.Duration) (net.Conn, error) {
		if s.Mode() != "standalone" {
			return nil, errors.New("not serving yet")
		}
		return net.DialTimeout(network, address, timeout)
	}
	c := connect(t, []string{s.Addr()}, 10*time.Second, serving)
	sid := c.SessionID()
	_, err := c.Create("/persist", []byte("hello"), 0, acl)
	require.NoError(t, err)
	_, err = c.Create("/eph", nil, zk.FlagEphemeral, acl)
	require.NoError(t, err)

	require.NoError(t, s.Stop())
	require.False(t, s.Running())
	require.Equal(t, "", s.Mode())
	require.NoError(t, s.Stop(), "Stop of a stopped server")

	require.NoError(t, s.Restart())
	require.True(t, s.Running())
	require.Equal(t, "standalone", s.Mode())

	// The old client reconnects to the same port and keeps its session.
	var data []byte
	waitFor(t, 20*time.Second, "the old client to read /persist", func() bool {
		data, _, err = c.Get("/persist")
		return err == nil
	})
	require.Equal(t, "hello", string(data))
	require.Equal(t, sid, c.SessionID())
	ok, _, err := c.Exists("/eph")
	require.NoError(t, err)
	require.True(t, ok, "ephemeral of the surviving session")

	// A new client sees the data too.
	c2 := connect(t, []string{s.Addr()}, 10*time.Second, nil)
	data, _, err = c2.Get("/persist")
	require.NoError(t, err)
	require.Equal(t, "hello", string(data))
}

// syncBuffer is an io.Writer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServerOptionsAndClose(t *testing.T) {
	zktest.SkipIfShort(t)
	var out syncBuffer
	s, err := zktest.StartServer(
		zktest.WithTickTime(50*time.Millisecond),
		zktest.WithExtraConfig("forceSync=no", "globalOutstandingLimit=5000"),
		zktest.WithLogOutput(&out),
	)
	require.NoError(t, err)
	dir := s.Dir()
	defer s.Close()

	conf, err := s.FourLetterWord("conf")
	require.NoError(t, err)
	require.Contains(t, conf, "tickTime=50")
	require.Contains(t, conf, "minSessionTimeout=200")
	require.Contains(t, conf, "maxSessionTimeout=60000")
	require.Contains(t, out.String(), "zktest")
	require.NotEmpty(t, s.LogTail(5))

	// A 1s session is granted as asked.
	c := connect(t, []string{s.Addr()}, time.Second, nil)
	_, err = c.Create("/x", nil, 0, acl)
	require.NoError(t, err)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	_, err = os.Stat(dir)
	require.True(t, os.IsNotExist(err), "temp dir removed: %v", err)
	require.Error(t, s.Restart())
}

func TestTTLNodes(t *testing.T) {
	zktest.SkipIfShort(t)
	c := connect(t, zktest.Servers(t), 10*time.Second, nil)
	p := testPath(t, c)
	_, err := c.CreateTTL(p+"/ttl", nil, zk.FlagTTL, acl, time.Minute)
	require.NoError(t, err, "extended types must be enabled")
}

func TestServersShared(t *testing.T) {
	zktest.SkipIfShort(t)
	a := zktest.Servers(t)
	b := zktest.Servers(t)
	require.Equal(t, a, b)
	require.Len(t, a, 1)
	c := connect(t, a, 10*time.Second, nil)
	testPath(t, c)
}

func TestServersFromEnv(t *testing.T) {
	t.Setenv(zktest.EnvServers, " 10.0.0.1:1234, 10.0.0.2:1234 ")
	require.Equal(t, []string{"10.0.0.1:1234", "10.0.0.2:1234"}, zktest.Servers(t))
}
