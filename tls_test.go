package zkrecipes_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// tlsSetup is a TLS server whose certificate is issued to "localhost" by
// ca, which also issued client, the client's certificate.
type tlsSetup struct {
	srv    *zktest.Server
	ca     *zktest.CA
	client *zktest.Cert
	port   string
}

func startTLSServer(t *testing.T) tlsSetup {
	t.Helper()
	ca := zktest.Must(zktest.NewCA("zkrecipes test CA"))
	server := zktest.Must(ca.Issue("localhost"))
	client := zktest.Must(ca.Issue("zkrecipes-client"))
	srv := zktest.NewServer(t, zktest.WithTLS(zktest.TLS{KeyStore: server.KeyStorePEM(), TrustStore: ca.CertPEM()}))
	_, port, err := net.SplitHostPort(srv.SecureAddr())
	require.NoError(t, err)
	return tlsSetup{srv: srv, ca: ca, client: client, port: port}
}

func (s tlsSetup) config(roots *x509.CertPool, cert *zktest.Cert) *tls.Config {
	return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert.TLS}}
}

// The server's certificate is checked against the name in the connect
// string: "localhost" matches the certificate, "127.0.0.1" (the same
// server) does not. A certificate that does not verify, or a client
// certificate the server refuses, fails Connect at once with
// ErrTLSRefused and the cause, long before ctx's deadline.
func TestIntegration_TLS_Verification(t *testing.T) {
	zktest.SkipIfShort(t)
	s := startTLSServer(t)
	other := zktest.Must(zktest.NewCA("another CA"))
	otherClient := zktest.Must(other.Issue("zkrecipes-client"))

	t.Run("RightCA", func(t *testing.T) {
		ctx := zktest.Context(t, 30*time.Second)
		c, err := zkrecipes.Connect(ctx, []string{"localhost:" + s.port},
			zkrecipes.WithTLS(s.config(s.ca.Pool(), s.client)))
		require.NoError(t, err)
		defer c.Close()
		_, _, err = c.Exists(ctx, "/")
		assert.NoError(t, err)
	})

	// A refusal by one server of the connect string is that server's
	// problem: Connect goes on to the others.
	t.Run("OneOfTwoRefused", func(t *testing.T) {
		ctx := zktest.Context(t, 30*time.Second)
		c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:" + s.port, "localhost:" + s.port},
			zkrecipes.WithTLS(s.config(s.ca.Pool(), s.client)))
		require.NoError(t, err)
		c.Close()
	})

	refused := []struct {
		name   string
		server string
		cfg    *tls.Config
		want   string
	}{
		{"WrongCA", "localhost:" + s.port, s.config(other.Pool(), s.client), "unknown authority"},
		{"OtherName", "127.0.0.1:" + s.port, s.config(s.ca.Pool(), s.client), "127.0.0.1"},
		{"ClientCertRefused", "localhost:" + s.port, s.config(s.ca.Pool(), otherClient), "remote error"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			const wait = 20 * time.Second
			ctx := zktest.Context(t, wait)
			start := time.Now()
			c, err := zkrecipes.Connect(ctx, []string{tc.server}, zkrecipes.WithTLS(tc.cfg))
			took := time.Since(start)
			if err == nil {
				c.Close()
				t.Fatal("connected")
			}
			t.Logf("after %v: %v", took, err)
			assert.ErrorIs(t, err, zkrecipes.ErrTLSRefused)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, took, wait/2, "Connect retried a refused certificate")
			if tc.name != "ClientCertRefused" {
				var verr *tls.CertificateVerificationError
				assert.True(t, errors.As(err, &verr), "the cause is in the chain: %v", err)
			}
		})
	}

	// ZooKeeper closes a plain port on a TLS client hello, which looks
	// like any dropped connection: Connect keeps trying until ctx ends,
	// and then says the last attempt was TLS.
	t.Run("PlainPort", func(t *testing.T) {
		ctx := zktest.Context(t, 2*time.Second)
		c, err := zkrecipes.Connect(ctx, []string{s.srv.Addr()}, zkrecipes.WithTLS(s.config(s.ca.Pool(), s.client)))
		if err == nil {
			c.Close()
			t.Fatal("connected")
		}
		t.Log(err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "TLS with "+s.srv.Addr())
	})
}

// A session lives on across a restart of its server over TLS: the client
// redials (a new TLS handshake) and the server accepts the session again.
func TestIntegration_TLS_SessionSurvivesRestart(t *testing.T) {
	zktest.SkipIfShort(t)
	s := startTLSServer(t)
	ctx := zktest.Context(t, 60*time.Second)
	c, err := zkrecipes.Connect(ctx, []string{"localhost:" + s.port},
		zkrecipes.WithTLS(s.config(s.ca.Pool(), s.client)),
		zkrecipes.WithSessionTimeout(30*time.Second))
	require.NoError(t, err)
	defer c.Close()
	sess, err := c.WaitSession(ctx)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/tls-ephemeral", nil, zkrecipes.Ephemeral)
	require.NoError(t, err)

	sub := c.Subscribe()
	defer sub.Close()
	require.NoError(t, s.srv.Restart())
	for {
		ch, err := sub.Next(ctx)
		require.NoError(t, err, "no reconnection after the restart")
		require.NotEqual(t, zkrecipes.Lost, ch.State, "session lost over the restart")
		if ch.State == zkrecipes.Reconnected {
			break
		}
	}
	assert.Same(t, sess, c.Session())
	ok, _, err := c.Exists(ctx, "/tls-ephemeral")
	require.NoError(t, err)
	assert.True(t, ok, "the session's ephemeral node is still there")
	require.NoError(t, c.Delete(ctx, "/tls-ephemeral", -1))
}
