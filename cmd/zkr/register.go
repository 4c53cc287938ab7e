package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/zkrecipes/zkrecipes/discovery"
)

func init() {
	register(&command{
		name: "register", synopsis: "register [--base P] --id ID [--address A] [--port N] [--payload JSON] SERVICE [-- CMD [ARGS...]]",
		summary:  "register a service instance (Curator service discovery) while CMD runs",
		takesCmd: true,
		details: para("Registers an instance of SERVICE at BASE/SERVICE/ID as an ephemeral node with",
			"Curator's JSON, so Java services on Curator, Spring Cloud Zookeeper or Dubbo 3",
			"(base /services) list it, runs CMD, and unregisters when CMD exits, with CMD's",
			"status. The node is created again after a session loss or a deletion by someone",
			"else while CMD runs. Without CMD, zkr stays registered until interrupted.",
			"",
			"An id that another live process has registered is never taken over: zkr waits",
			"for it to go for --conflict-wait, then exits 1. --payload is a JSON object; it",
			"gets \"@class\":\"java.util.LinkedHashMap\" unless it has a \"@class\", so Java readers",
			"with a Map payload read it. CMD gets ZKR_SERVICE, ZKR_INSTANCE_ID and ZKR_INSTANCE_PATH."),
		examples: []string{
			"zkr register --id web-1 --address 10.0.0.7 --port 8080 web -- ./server --port 8080",
			"zkr register --id w1 --port 9000 --payload '{\"zone\":\"eu-1\"}' orders",
		},
		setup: func(a *app, fs *flag.FlagSet) runner {
			var o registerFlags
			fs.StringVar(&o.base, "base", "/services", "base path of the registry")
			fs.StringVar(&o.id, "id", "", "instance id (default host-pid)")
			fs.StringVar(&o.address, "address", "", "address (default the host name)")
			fs.IntVar(&o.port, "port", 0, "port")
			fs.IntVar(&o.sslPort, "ssl-port", 0, "TLS port")
			fs.StringVar(&o.payload, "payload", "", "payload: a JSON object")
			fs.StringVar(&o.uriSpec, "uri-spec", "{scheme}://{address}:{port}", "Curator's URI template (\"\" for none)")
			fs.BoolVar(&o.disabled, "disabled", false, "register as disabled (listed, not picked)")
			fs.DurationVar(&o.conflictWait, "conflict-wait", 0, "how long to wait for another process's instance with the same id to go (default: session timeout + 2s)")
			fs.DurationVar(&o.grace, "grace", defaultGrace, "time CMD gets between SIGTERM and SIGKILL")
			fs.BoolVar(&o.quiet, "q", false, "quiet: no status messages on stderr")
			return func(ctx context.Context, p parsed) error { return a.register(ctx, p, o) }
		},
	})
}

type registerFlags struct {
	base, id, address, payload, uriSpec string
	port, sslPort                       int
	disabled, quiet                     bool
	conflictWait, grace                 time.Duration
}

func (a *app) register(ctx context.Context, p parsed, o registerFlags) error {
	if len(p.pos) == 0 {
		return usagef("register: missing SERVICE (see 'zkr help register')")
	}
	argv := commandArgs(p, 1)
	switch {
	case !p.dashdash && len(argv) > 0 && strings.HasPrefix(argv[0], "-"):
		return usagef("register: put -- before CMD")
	case o.port < 0 || o.port > 65535 || o.sslPort < 0 || o.sslPort > 65535:
		return usagef("register: ports must be in 0..65535")
	case o.conflictWait < 0 || o.grace < 0:
		return usagef("register: --conflict-wait and --grace must not be negative")
	}
	if err := validPath(o.base, false); err != nil {
		return err
	}
	host, _ := os.Hostname()
	if o.id == "" {
		o.id = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if o.address == "" {
		o.address = host
	}
	in := discovery.Instance{Name: p.pos[0], ID: o.id, Address: o.address, Port: o.port, SSLPort: o.sslPort,
		URISpec: o.uriSpec, Disabled: o.disabled}
	if o.payload != "" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(o.payload), &obj); err != nil {
			return usagef("register: --payload must be a JSON object: %v", err)
		}
		pl, err := discovery.MapPayload(json.RawMessage(o.payload))
		if err != nil {
			return usagef("register: --payload: %v", err)
		}
		in.Payload = pl
	}
	c, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var opts []discovery.Option
	if o.conflictWait > 0 {
		opts = append(opts, discovery.WithConflictWait(o.conflictWait))
	}
	d, err := discovery.New(c, o.base, opts...)
	if err != nil {
		return usagef("register: %v", err)
	}
	r, err := d.Register(ctx, in)
	if err != nil {
		return err
	}
	defer func() {
		rctx, cancel := cleanupCtx(ctx)
		defer cancel()
		if err := r.Unregister(rctx); err != nil {
			a.logf("unregister %s: %v", r.Path(), err)
		}
	}()
	if !o.quiet {
		a.logf("registered %s", r.Path())
	}
	if len(argv) == 0 {
		<-ctx.Done()
		return nil
	}
	env := []string{"ZKR_SERVICE=" + in.Name, "ZKR_INSTANCE_ID=" + in.ID, "ZKR_INSTANCE_PATH=" + r.Path()}
	ch, err := a.startChild(argv, env, nil)
	if err != nil {
		return err
	}
	select {
	case <-ch.done:
	case <-ctx.Done():
		if !o.quiet {
			a.logf("interrupted: stopping %s, then unregistering", argv[0])
		}
		ch.stop(stopSignal(ctx), o.grace)
	}
	return childResult(ch)
}
