package zktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// Root is the znode under which per-test namespaces are made.
const Root = "/zktest"

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Namespace returns a fresh namespace for t: Root, t's name and a random
// suffix, so that parallel tests and repeated runs never share znodes.
func Namespace(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 80 {
		name = name[:80]
	}
	return Root + "/" + name + "-" + hex.EncodeToString(b[:])
}

// Client returns a client connected to Servers(t) in a fresh namespace (see
// Namespace), with a 4s session timeout unless opts say otherwise. At the
// end of the test the namespace is deleted and the client closed.
func Client(t testing.TB, opts ...zkrecipes.Option) *zkrecipes.Client {
	t.Helper()
	return ClientAt(t, Servers(t), Namespace(t), opts...)
}

// ClientAt is Client for given servers and namespace; several clients of
// one test share a namespace by passing the same one.
func ClientAt(t testing.TB, servers []string, ns string, opts ...zkrecipes.Option) *zkrecipes.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append([]zkrecipes.Option{zkrecipes.WithSessionTimeout(4 * time.Second), zkrecipes.WithNamespace(ns)}, opts...)
	c, err := zkrecipes.Connect(ctx, servers, all...)
	if err != nil {
		t.Fatalf("zktest: connect to %v: %v", servers, err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		_ = DeleteAll(cctx, c, "/")
		c.Close()
	})
	return c
}

// FaultyClient is Client with its connections made through a new
// FaultDialer, which it returns to inject faults with (Cut, Blackhole,
// CutAfterRequest). At the end of the test the dialer is healed first (so
// that the namespace can be deleted if the session survived), then the
// client closed, then the dialer closed.
func FaultyClient(t testing.TB, opts ...zkrecipes.Option) (*zkrecipes.Client, *FaultDialer) {
	t.Helper()
	return FaultyClientAt(t, Servers(t), Namespace(t), opts...)
}

// FaultyClientAt is FaultyClient for given servers and namespace, as
// ClientAt: a faulty client shares a namespace with healthy ones.
func FaultyClientAt(t testing.TB, servers []string, ns string, opts ...zkrecipes.Option) (*zkrecipes.Client, *FaultDialer) {
	t.Helper()
	d := NewFaultDialer()
	t.Cleanup(func() { _ = d.Close() }) // Cleanup runs last-in first-out: after the client's
	// The dialer comes first: options given later (a test's own dialer
	// wrapping d.Dial) override it.
	c := ClientAt(t, servers, ns, append([]zkrecipes.Option{zkrecipes.WithDialer(d.Dial)}, opts...)...)
	t.Cleanup(d.Heal)
	return c, d
}

// DeleteAll removes p and everything below it (p is relative to c's
// namespace; "/" removes the namespace node itself).
func DeleteAll(ctx context.Context, c *zkrecipes.Client, p string) error {
	children, _, err := c.Children(ctx, p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, ch := range children {
		cp := p + "/" + ch
		if p == "/" {
			cp = "/" + ch
		}
		if err := DeleteAll(ctx, c, cp); err != nil {
			return err
		}
	}
	if p == "/" {
		if c.Namespace() == "" {
			return nil
		}
		err = deleteRaw(c, c.Namespace())
	} else {
		err = c.Delete(ctx, p, -1)
	}
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	return err
}

func deleteRaw(c *zkrecipes.Client, abs string) error {
	return c.Conn().Delete(abs, -1)
}
