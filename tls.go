package zkrecipes

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// ErrTLSRefused is matched by Connect's error when every server of the
// connect string refused the TLS connection on its latest attempt: the
// server's certificate did not verify (unknown authority, a certificate
// for another name, expired), the server refused ours, or it does not
// speak TLS on that port. Connect then returns at once rather than retry
// until ctx ends: a certificate does not fix itself. The cause stays in
// the chain (errors.As a *tls.CertificateVerificationError works).
var ErrTLSRefused = errors.New("zkrecipes: TLS refused")

// WithTLS makes every connection to the servers a TLS connection (to
// their secureClientPort) with cfg. The server's certificate is verified
// against the host name as written in the connect string, not the address
// it resolves to, unless cfg.ServerName is set. Give a client certificate
// in cfg.Certificates: ZooKeeper's default ssl.clientAuth is "need".
// TLS runs over the dialer of WithDialer, if any. A nil cfg is an error.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) {
		if cfg == nil {
			o.fail("nil TLS config")
			return
		}
		o.tls = cfg.Clone()
	}
}

// tlsDialer makes TLS connections for one client and keeps, per server,
// whether its latest attempt was refused, so that Connect can tell a
// configuration error from a server that is merely down.
type tlsDialer struct {
	cfg     *tls.Config
	servers int // distinct servers in the connect string

	mu      sync.Mutex
	refused map[string]error // server → why its latest attempt was refused
	all     chan struct{}    // closed once every server was refused
	err     error            // set before all is closed
}

func newTLSDialer(cfg *tls.Config, servers []string) *tlsDialer {
	distinct := map[string]bool{}
	for _, s := range servers {
		distinct[s] = true
	}
	return &tlsDialer{cfg: cfg, servers: len(distinct), refused: map[string]error{}, all: make(chan struct{})}
}

// allRefused is closed once every server was refused; nil for no TLS.
func (t *tlsDialer) allRefused() <-chan struct{} {
	if t == nil {
		return nil
	}
	return t.all
}

// wrap returns a dialer that dials with next and runs the TLS handshake
// within the same timeout.
func (t *tlsDialer) wrap(next zk.Dialer) zk.Dialer {
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		raw, err := next(network, address, timeout)
		if err != nil {
			return nil, err
		}
		cfg := t.cfg
		if cfg.ServerName == "" {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				raw.Close()
				return nil, err
			}
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
		tc := tls.Client(raw, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err = tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			raw.Close()
			err = fmt.Errorf("TLS with %s: %w", address, err)
			t.note(address, err)
			return nil, err
		}
		t.note(address, nil)
		return &tlsConn{Conn: tc, t: t, addr: address}, nil
	}
}

// note records the outcome of an attempt on addr: err if it was refused,
// nil if not.
func (t *tlsDialer) note(addr string, err error) {
	if err != nil && !isRefusal(err) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err == nil {
		delete(t.refused, addr)
		return
	}
	t.refused[addr] = err
	if len(t.refused) == t.servers && t.err == nil {
		t.err = fmt.Errorf("%w: %w", ErrTLSRefused, err)
		close(t.all)
	}
}

// isRefusal tells a TLS configuration error from a network failure.
func isRefusal(err error) bool {
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	var op *net.OpError
	return errors.As(err, &verify) || errors.As(err, &header) ||
		errors.As(err, &op) && op.Op == "remote error" // an alert: the server refused us
}

// tlsConn notes an alert read after the handshake: under TLS 1.3 the
// server checks the client's certificate after the client's handshake
// ended, and its refusal comes with the first read.
type tlsConn struct {
	*tls.Conn
	t    *tlsDialer
	addr string
	read bool // a record was read: later errors are not refusals
}

func (c *tlsConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && !c.read && isRefusal(err) {
		c.t.note(c.addr, fmt.Errorf("TLS with %s: %w", c.addr, err))
	}
	if n > 0 {
		c.read = true
	}
	return n, err
}
