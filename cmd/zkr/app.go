package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// envServers is the older name of $ZKR_SERVERS, still read.
const envServers = "ZK_SERVERS"

// defaultServers is used when no servers are set anywhere.
const defaultServers = "127.0.0.1:2181"

// app holds the global flags and the standard streams.
type app struct {
	servers                string
	sessionTimeout         time.Duration
	namespace              string
	auth, authFile         string
	acl                    string
	tls                    bool
	tlsCA, tlsCert, tlsKey string
	json                   bool
	connectTimeout         time.Duration
	debug                  bool
	highExit               bool
	configFile             string

	given map[string]bool // global flags set by the command line, environment or config file

	hurry <-chan struct{} // closed by a second signal: stop CMD at once
	argv  []string        // the command line, for a detached barrier member

	stdin          io.Reader
	stdout, stderr io.Writer
}

// globalFlags registers the global flags on fs. Every command's flag set
// has them too (with the values parsed so far as defaults), so they may
// also follow the command name. Each also comes from $ZKR_<NAME> and the
// config file (settings.go).
func (a *app) globalFlags(fs *flag.FlagSet, sessionTimeout bool) {
	fs.StringVar(&a.servers, "servers", a.servers, "comma-separated `host:port` list (default $ZKR_SERVERS or $"+envServers+", else "+defaultServers+")")
	if sessionTimeout {
		fs.DurationVar(&a.sessionTimeout, "session-timeout", a.sessionTimeout, "ZooKeeper session timeout")
	}
	fs.DurationVar(&a.connectTimeout, "connect-timeout", a.connectTimeout, "give up connecting after this long (exit 1)")
	fs.StringVar(&a.namespace, "namespace", a.namespace, "make every path relative to this znode (like Curator's namespace)")
	fs.StringVar(&a.auth, "auth", a.auth, "digest credentials `user:password` added to the session (visible in ps: prefer --auth-file or $ZKR_AUTH)")
	fs.StringVar(&a.authFile, "auth-file", a.authFile, "read digest credentials user:password from `file`")
	fs.StringVar(&a.acl, "acl", a.acl, "ACL of every node zkr creates, recipes' nodes included: `scheme:id:perms`,... (e.g. auth::cdrwa,world:anyone:r)")
	fs.BoolVar(&a.tls, "tls", a.tls, "connect with TLS (to the servers' secureClientPort), verifying them against the system's CAs")
	fs.StringVar(&a.tlsCA, "tls-ca", a.tlsCA, "TLS: verify servers against the CA certificates in this PEM `file` (implies --tls)")
	fs.StringVar(&a.tlsCert, "tls-cert", a.tlsCert, "TLS: client certificate chain, PEM `file` (with --tls-key)")
	fs.StringVar(&a.tlsKey, "tls-key", a.tlsKey, "TLS: client private key, PEM `file`")
	fs.BoolVar(&a.json, "json", a.json, "print data as JSON, and messages and errors on stderr as JSON lines")
	fs.BoolVar(&a.debug, "debug", a.debug, "log connection-state changes to stderr")
	fs.BoolVar(&a.highExit, "high-exit-codes", a.highExit, "exit with 200+N for zkr's own status N (201 failure, 202 usage, 203 lost, 204 timeout), so it cannot be mistaken for CMD's")
	fs.StringVar(&a.configFile, configFlag, a.configFile, "read settings from this `file` (default $ZKR_CONFIG_FILE, else ~/.config/zkr/config if present)")
}

func (a *app) main(ctx context.Context, args []string) error {
	a.sessionTimeout = zkrecipes.DefaultSessionTimeout
	a.connectTimeout = 15 * time.Second
	fs := flag.NewFlagSet("zkr", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.globalFlags(fs, true)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printHelp(a.stdout)
			return nil
		}
		return usagef("%v", err)
	}
	a.noteGiven(fs)
	rest := fs.Args()
	if len(rest) == 0 {
		a.printHelp(a.stderr)
		return &exitError{code: exitUsage}
	}
	name, cargs := rest[0], rest[1:]
	if name == "help" {
		return a.help(cargs)
	}
	cmd, ok := lookupCommand(name)
	if !ok {
		return usagef("unknown command %q", name)
	}
	return cmd.run(ctx, a, cargs)
}

func (a *app) help(args []string) error {
	if len(args) == 0 {
		a.printHelp(a.stdout)
		return nil
	}
	if args[0] == "json" {
		fmt.Fprint(a.stdout, jsonHelp)
		return nil
	}
	cmd, ok := lookupCommand(args[0])
	if !ok {
		return usagef("unknown command %q", args[0])
	}
	a.printCommandHelp(a.stdout, cmd, cmd.flags(a))
	return nil
}

// serverList resolves --servers (or its environment and config file
// settings) and the default.
func (a *app) serverList() ([]string, error) {
	s := a.servers
	if s == "" {
		s = defaultServers
	}
	return parseServers(s)
}

// serversGiven reports whether the user named servers (flag, environment
// or config file).
func (a *app) serversGiven() bool { return a.servers != "" }

// clientOptions turns the global flags into client options.
func (a *app) clientOptions() ([]zkrecipes.Option, error) {
	if a.sessionTimeout <= 0 {
		return nil, usagef("--session-timeout must be positive")
	}
	if a.connectTimeout <= 0 {
		return nil, usagef("--connect-timeout must be positive")
	}
	opts := []zkrecipes.Option{zkrecipes.WithSessionTimeout(a.sessionTimeout)}
	if a.namespace != "" && a.namespace != "/" {
		if err := validPath(a.namespace, false); err != nil {
			return nil, usagef("--namespace: %v", err)
		}
		opts = append(opts, zkrecipes.WithNamespace(a.namespace))
	}
	auth, err := a.authOption()
	if err != nil {
		return nil, err
	}
	if auth != nil {
		opts = append(opts, auth)
	}
	if a.acl != "" {
		acl, err := parseACL(a.acl)
		if err != nil {
			return nil, usagef("--acl: %v", err)
		}
		opts = append(opts, zkrecipes.WithACL(acl))
	}
	cfg, err := a.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		opts = append(opts, zkrecipes.WithTLS(cfg))
	}
	if a.debug {
		opts = append(opts, zkrecipes.WithLogger(slog.New(a.logHandler(slog.LevelDebug))))
	}
	return opts, nil
}

// connect opens a client with the global flags. extra options come last.
// It fails within --connect-timeout, saying why the last attempt failed.
func (a *app) connect(ctx context.Context, extra ...zkrecipes.Option) (*zkrecipes.Client, error) {
	servers, err := a.serverList()
	if err != nil {
		return nil, err
	}
	opts, err := a.clientOptions()
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, a.connectTimeout)
	defer cancel()
	c, err := zkrecipes.Connect(cctx, servers, append(opts, extra...)...)
	switch {
	case err == nil:
		return c, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, zkrecipes.ErrTLSRefused):
		return nil, fmt.Errorf("cannot connect to %s: %w", strings.Join(servers, ","), err)
	case errors.Is(err, context.DeadlineExceeded):
		why := "no server answered"
		if last := lastAttempt(err); last != nil {
			why = "last attempt: " + last.Error()
		}
		return nil, fmt.Errorf("no ZooKeeper session with %s within %v (%s; is a server running there? see --servers, $ZKR_SERVERS)",
			strings.Join(servers, ","), a.connectTimeout, why)
	}
	return nil, err
}

// lastAttempt digs the last dial or handshake error out of Connect's
// error, which joins it with ctx's.
func lastAttempt(err error) error {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			if !errors.Is(x, context.DeadlineExceeded) && !errors.Is(x, context.Canceled) {
				return x
			}
		}
	case interface{ Unwrap() error }:
		return lastAttempt(e.Unwrap())
	}
	return nil
}

// cleanupCtx is a context for releasing what a command holds after its own
// context was cancelled (by a signal): bounded, detached from ctx.
func cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (a *app) printf(format string, args ...any) { fmt.Fprintf(a.stdout, format, args...) }
