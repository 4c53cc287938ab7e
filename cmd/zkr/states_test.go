package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// watch and elect --observe say when they are disconnected (their output
// may be stale then) and when they are back, instead of going quiet.
func TestIntegration_WatchAndObserveReportDisconnection(t *testing.T) {
	zktest.SkipIfShort(t)
	srv := zktest.NewServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := func(args ...string) (*syncBuffer, func()) {
		cmd, out, errb := zkrCmd(ctx, nil, append([]string{"--servers", srv.Addr(), "--session-timeout", "30s"}, args...)...)
		require.NoError(t, cmd.Start())
		require.Eventually(t, func() bool {
			return strings.Contains(errb.String(), "watching") || strings.Contains(out.String(), "no leader")
		},
			20*time.Second, 10*time.Millisecond, "%v: %s", args, errb.String())
		return out, func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			assert.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "%v: %s", args, errb.String())
		}
	}
	watchOut, stopWatch := start("watch", "/w")
	defer stopWatch()
	obsOut, stopObs := start("elect", "--observe", "/e")
	defer stopObs()

	require.NoError(t, srv.Stop())
	for _, out := range []*syncBuffer{watchOut, obsOut} {
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "Disconnected") }, 20*time.Second, 10*time.Millisecond, out.String())
		assert.Contains(t, out.String(), "may be stale")
	}
	require.NoError(t, srv.Restart())
	for _, out := range []*syncBuffer{watchOut, obsOut} {
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "Reconnected") }, 30*time.Second, 10*time.Millisecond, out.String())
	}
}

// zkr talks TLS with --tls-ca, --tls-cert and --tls-key, and a server
// certificate that does not verify fails at once with a clear message.
func TestIntegration_TLSFlags(t *testing.T) {
	zktest.SkipIfShort(t)
	ca := zktest.Must(zktest.NewCA("zkr test CA"))
	other := zktest.Must(zktest.NewCA("another CA"))
	server := zktest.Must(ca.Issue("localhost"))
	client := zktest.Must(ca.Issue("zkr"))
	srv := zktest.NewServer(t, zktest.WithTLS(zktest.TLS{KeyStore: server.KeyStorePEM(), TrustStore: ca.CertPEM()}))
	_, port, _ := strings.Cut(srv.SecureAddr(), ":")
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	caFile, otherFile := write("ca.pem", ca.CertPEM()), write("other.pem", other.CertPEM())
	certFile, keyFile := write("client.crt", client.CertPEM), write("client.key", client.KeyPEM)

	tlsArgs := []string{"--servers", "localhost:" + port, "--tls-ca", caFile, "--tls-cert", certFile, "--tls-key", keyFile}
	r := runZkr(t, nil, append(tlsArgs, "create", "/over-tls", "x")...)
	require.Equal(t, 0, r.code, r.stderr)
	r = runZkr(t, nil, append(tlsArgs, "get", "/over-tls")...)
	assert.Equal(t, "x", r.stdout, r.stderr)

	start := time.Now()
	r = runZkr(t, nil, "--servers", "localhost:"+port, "--tls-ca", otherFile, "--tls-cert", certFile, "--tls-key", keyFile, "ls", "/")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "TLS refused")
	assert.Contains(t, r.stderr, "certificate signed by unknown authority")
	assert.Less(t, time.Since(start), 10*time.Second, "not the 15s connect timeout")
}
