package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// envServers is the fallback for --servers.
const envServers = "ZK_SERVERS"

// defaultServers is used when neither --servers nor $ZK_SERVERS is set.
const defaultServers = "127.0.0.1:2181"

// app holds the global flags and the standard streams.
type app struct {
	servers        string
	sessionTimeout time.Duration
	namespace      string
	auth           string
	json           bool
	connectTimeout time.Duration
	debug          bool

	sessionTimeoutSet bool // --session-timeout given before the command

	stdin          io.Reader
	stdout, stderr io.Writer
}

// globalFlags registers the global flags on fs. Every command's flag set
// has them too (with the values parsed so far as defaults), so they may
// also follow the command name.
func (a *app) globalFlags(fs *flag.FlagSet, sessionTimeout bool) {
	fs.StringVar(&a.servers, "servers", a.servers, "comma-separated `host:port` list (default $"+envServers+", else "+defaultServers+")")
	if sessionTimeout {
		fs.DurationVar(&a.sessionTimeout, "session-timeout", a.sessionTimeout, "ZooKeeper session timeout")
	}
	fs.StringVar(&a.namespace, "namespace", a.namespace, "make every path relative to this znode (like Curator's namespace)")
	fs.StringVar(&a.auth, "auth", a.auth, "digest credentials `user:password` added to the session")
	fs.BoolVar(&a.json, "json", a.json, "print data as JSON")
	fs.DurationVar(&a.connectTimeout, "connect-timeout", a.connectTimeout, "give up connecting after this long")
	fs.BoolVar(&a.debug, "debug", a.debug, "log connection-state changes to stderr")
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
	fs.Visit(func(f *flag.Flag) { a.sessionTimeoutSet = a.sessionTimeoutSet || f.Name == "session-timeout" })
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
	cmd, ok := lookupCommand(args[0])
	if !ok {
		return usagef("unknown command %q", args[0])
	}
	a.printCommandHelp(a.stdout, cmd, cmd.flags(a))
	return nil
}

// serverList resolves --servers, $ZK_SERVERS and the default.
func (a *app) serverList() ([]string, error) {
	s := a.servers
	if s == "" {
		s = os.Getenv(envServers)
	}
	if s == "" {
		s = defaultServers
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, ":") {
			f += ":2181"
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, usagef("--servers: empty server list")
	}
	return out, nil
}

// serversGiven reports whether the user named servers (flag or env).
func (a *app) serversGiven() bool { return a.servers != "" || os.Getenv(envServers) != "" }

// clientOptions turns the global flags into client options.
func (a *app) clientOptions() ([]zkrecipes.Option, error) {
	if a.sessionTimeout <= 0 {
		return nil, usagef("--session-timeout must be positive")
	}
	opts := []zkrecipes.Option{zkrecipes.WithSessionTimeout(a.sessionTimeout)}
	if a.namespace != "" && a.namespace != "/" {
		if err := validPath(a.namespace, false); err != nil {
			return nil, usagef("--namespace: %v", err)
		}
		opts = append(opts, zkrecipes.WithNamespace(a.namespace))
	}
	if a.auth != "" {
		user, pass, ok := strings.Cut(a.auth, ":")
		if !ok || user == "" {
			return nil, usagef("--auth: want user:password")
		}
		opts = append(opts, zkrecipes.WithDigestAuth(user, pass))
	}
	if a.debug {
		opts = append(opts, zkrecipes.WithLogger(slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	return opts, nil
}

// connect opens a client with the global flags. extra options come last.
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
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no ZooKeeper session with %s within %v (is a server running? see --servers, $%s)",
				strings.Join(servers, ","), a.connectTimeout, envServers)
		}
		return nil, err
	}
	return c, nil
}

// cleanupCtx is a context for releasing what a command holds after its own
// context was cancelled (by a signal): bounded, detached from ctx.
func cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (a *app) printf(format string, args ...any) { fmt.Fprintf(a.stdout, format, args...) }

// logf writes a progress or status message to stderr.
func (a *app) logf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "zkr: "+format+"\n", args...)
}
