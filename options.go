package zkrecipes

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Option configures a Client.
type Option func(*options)

type options struct {
	sessionTimeout time.Duration
	namespace      string
	acl            []zk.ACL
	auth           []authInfo
	newBackOff     func() backoff.BackOff
	logger         *slog.Logger
	dialer         zk.Dialer
	tls            *tls.Config // see tls.go
	maxBufferSize  int
	observer       *Observer // see observer.go; nil: none
	err            error     // first invalid option, reported by Connect
}

type authInfo struct {
	scheme string
	auth   []byte
}

// DefaultSessionTimeout is the session timeout requested when none is given.
const DefaultSessionTimeout = 10 * time.Second

func defaultOptions() options {
	return options{
		sessionTimeout: DefaultSessionTimeout,
		acl:            zk.WorldACL(zk.PermAll),
		newBackOff:     retry.Default,
		logger:         slog.New(slog.DiscardHandler),
	}
}

func (o *options) fail(format string, args ...any) {
	if o.err == nil {
		o.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
	}
}

// WithSessionTimeout sets the requested session timeout. The server
// negotiates it into its [minSessionTimeout, maxSessionTimeout] range; the
// negotiated value is what the client uses to declare a session lost.
func WithSessionTimeout(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.fail("session timeout %v must be positive", d)
			return
		}
		o.sessionTimeout = d
	}
}

// WithNamespace makes every path relative to ns, like Curator's namespace:
// "/a" means ns+"/a" on the server. ns must be a valid absolute path; it is
// created (as a persistent node) the first time something is created below it.
func WithNamespace(ns string) Option {
	return func(o *options) {
		if ns == "/" {
			ns = ""
		}
		if ns != "" {
			if err := zkpath.Validate(ns); err != nil {
				o.fail("namespace: %v", err)
				return
			}
		}
		o.namespace = ns
	}
}

// WithACL sets the ACL of every node the client creates (default: world:anyone with all permissions).
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if len(acl) == 0 {
			o.fail("empty ACL")
			return
		}
		o.acl = acl
	}
}

// WithDigestAuth adds digest credentials to every session, as
// "addauth digest user:password" does in zkCli.
func WithDigestAuth(user, password string) Option {
	return func(o *options) {
		if user == "" || strings.Contains(user, ":") {
			o.fail("digest user %q must be non-empty and contain no colon", user)
			return
		}
		o.auth = append(o.auth, authInfo{"digest", []byte(user + ":" + password)})
	}
}

// WithAuth adds credentials of any scheme to every session.
func WithAuth(scheme string, auth []byte) Option {
	return func(o *options) {
		if scheme == "" {
			o.fail("empty auth scheme")
			return
		}
		o.auth = append(o.auth, authInfo{scheme, auth})
	}
}

// Backoff paces the retries of one operation: NextBackOff returns how
// long to wait before the next attempt, or a negative duration to give up.
// Every backoff.BackOff of github.com/cenkalti/backoff satisfies it (its
// backoff.Stop is negative), and so does any type with that one method.
type Backoff interface {
	NextBackOff() time.Duration
}

// WithRetry sets the backoff used between retries of an operation that
// failed with a connection-loss error. newBackoff is called at most once
// per operation, for a fresh Backoff. Only connection loss is retried;
// session loss never is. The default waits 10ms, doubling to at most a
// second, with jitter, for as long as the operation's ctx and session
// last.
func WithRetry(newBackoff func() Backoff) Option {
	return func(o *options) {
		if newBackoff == nil {
			o.fail("nil retry policy")
			return
		}
		o.newBackOff = func() backoff.BackOff { return userBackoff{newBackoff()} }
	}
}

// userBackoff runs a user's Backoff in the retry loops, which take
// backoff/v4's interface: it stops at any negative wait, and has nothing
// to reset (a Backoff serves one operation).
type userBackoff struct{ b Backoff }

func (u userBackoff) NextBackOff() time.Duration {
	if d := u.b.NextBackOff(); d >= 0 {
		return d
	}
	return backoff.Stop
}

func (u userBackoff) Reset() {}

// zkLogger sends go-zookeeper's messages to slog at debug level: they are
// chatty, and the state changes that matter are logged by the pump.
type zkLogger struct{ l *slog.Logger }

func (z zkLogger) Printf(format string, args ...any) {
	z.l.Debug("zk: " + fmt.Sprintf(format, args...))
}

// WithLogger sets the logger for connection-state changes and the
// underlying client's messages (logged at debug level).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

var defaultDialer zk.Dialer = net.DialTimeout

// WithDialer sets how TCP connections to servers are made (TLS, proxies,
// fault injection in tests).
func WithDialer(d zk.Dialer) Option {
	return func(o *options) {
		if d == nil {
			o.fail("nil dialer")
			return
		}
		o.dialer = d
	}
}

// WithMaxBufferSize raises the client's packet buffer for servers
// configured with a jute.maxbuffer above the default 1 MB.
func WithMaxBufferSize(n int) Option {
	return func(o *options) {
		if n <= 0 {
			o.fail("max buffer size %d must be positive", n)
			return
		}
		o.maxBufferSize = n
	}
}
