package zktest_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"testing"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A test binary shares one server, started on first use and stopped when
// the tests end; goroutines left running fail the run.
func ExampleMain() {
	// In a _test.go file:
	_ = func(m *testing.M) {
		os.Exit(zktest.Main(m, zktest.WithLeakCheck()))
	}
}

// A test gets a client in a namespace of its own, removed at its end, and
// a context that bounds its blocking calls.
func ExampleClient() {
	// In a test function:
	_ = func(t *testing.T) {
		zktest.SkipIfShort(t)
		c := zktest.Client(t)
		ctx := zktest.Context(t, 20*time.Second)
		if _, err := c.Create(ctx, "/config", []byte("v1"), zkrecipes.Persistent); err != nil {
			t.Fatal(err)
		}
	}
}

// A short cut of the connection keeps the session; a partition longer than
// the session timeout makes the server expire it.
func ExampleFaultyClient() {
	// In a test function:
	_ = func(t *testing.T) {
		zktest.SkipIfShort(t)
		c, d := zktest.FaultyClient(t, zkrecipes.WithSessionTimeout(time.Second))
		ctx := zktest.Context(t, 20*time.Second)
		s, err := c.WaitSession(ctx)
		if err != nil {
			t.Fatal(err)
		}

		d.Cut() // the client redials at once, in the same session
		if _, _, err := c.Exists(ctx, "/"); err != nil || c.Session() != s {
			t.Fatalf("session lost to a short cut: %v", err)
		}

		d.Blackhole() // no error, no data: the server expires the session
		select {
		case <-s.Done():
		case <-ctx.Done():
			t.Fatal("session not expired")
		}
		d.Heal() // the client connects again, in a new session
	}
}

// Several clients of one test share a namespace; one of them is faulty.
func ExampleFaultyClientAt() {
	// In a test function:
	_ = func(t *testing.T) {
		ns := zktest.Namespace(t)
		healthy := zktest.ClientAt(t, zktest.Servers(t), ns)
		faulty, d := zktest.FaultyClientAt(t, zktest.Servers(t), ns)
		d.CutAfterRequest(zktest.OpCreate) // the next create is applied, its reply lost
		_, _ = healthy, faulty
	}
}

// Must unwraps a constructor's result in a test, where an error means the
// test itself is wrong.
func ExampleMust() {
	parse := func(s string) (int, error) {
		if s == "" {
			return 0, errors.New("empty")
		}
		return len(s), nil
	}
	fmt.Println(zktest.Must(parse("abc")))
	// Output: 3
}

// Outside tests (a demo, a benchmark driver), StartServer runs a server
// until Close.
func ExampleStartServer() {
	srv, err := zktest.StartServer()
	if err != nil {
		log.Fatal(err) // says how to install ZooKeeper
	}
	defer srv.Close()
	fmt.Println(srv.Addr())
}

// A TLS server with certificates made in the test: the client verifies the
// server's certificate against the name it dials ("localhost") and shows
// its own, which the server requires by default.
func ExampleWithTLS() {
	// In a test function:
	_ = func(t *testing.T) {
		ca := zktest.Must(zktest.NewCA("test CA"))
		serverCert := zktest.Must(ca.Issue("localhost"))
		clientCert := zktest.Must(ca.Issue("my-service"))
		srv := zktest.NewServer(t, zktest.WithTLS(zktest.TLS{
			KeyStore:   serverCert.KeyStorePEM(),
			TrustStore: ca.CertPEM(),
		}))
		_, port, _ := net.SplitHostPort(srv.SecureAddr())
		ctx := zktest.Context(t, 20*time.Second)
		c, err := zkrecipes.Connect(ctx, []string{"localhost:" + port}, zkrecipes.WithTLS(&tls.Config{
			RootCAs:      ca.Pool(),
			Certificates: []tls.Certificate{clientCert.TLS},
		}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
}
