package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/zkrecipes/zkrecipes/zktest"
)

func init() {
	register(&command{
		name: "server", synopsis: "server [--config LINE]...",
		summary: "run a throwaway local ZooKeeper (from the installed distribution) until interrupted",
		details: para("Starts a standalone server on a free 127.0.0.1 port with a temporary data",
			"directory (tickTime 100ms, session timeouts 200ms..60s, TTL nodes enabled),",
			"prints the address, and serves until Ctrl-C; then the server and its data are",
			"removed. Handy for trying zkr lock or elect in two terminals. It needs Java and",
			"ZooKeeper (Debian: apt-get install -y zookeeper default-jre-headless)."),
		examples: []string{
			"zkr server",
			"zkr server --config forceSync=no",
			"export ZK_SERVERS=127.0.0.1:PORT   # the address zkr server printed",
		},
		setup: func(a *app, fs *flag.FlagSet) runner {
			var extra multiFlag
			fs.Var(&extra, "config", "extra zoo.cfg `line` (repeatable), e.g. forceSync=no")
			return func(ctx context.Context, p parsed) error {
				if err := wantArgs("server", p.pos, 0, 0); err != nil {
					return err
				}
				srv, err := a.startEmbedded(ctx, zktest.WithExtraConfig(extra...))
				if err != nil {
					return err
				}
				defer srv.Close()
				if a.json {
					if err := a.printJSON(map[string]string{"servers": srv.Addr(), "dir": srv.Dir()}); err != nil {
						return err
					}
				} else {
					a.printf("ZooKeeper serving on %s (data in %s); Ctrl-C stops it\n", srv.Addr(), srv.Dir())
					a.printf("export ZKR_SERVERS=%s\n", srv.Addr())
				}
				<-ctx.Done()
				a.logf("stopping the server")
				return nil
			}
		},
	})
}

// startEmbedded starts a local standalone ZooKeeper through zktest. It
// returns early (stopping the server once it is up) if ctx is done first.
func (a *app) startEmbedded(ctx context.Context, opts ...zktest.Option) (*zktest.Server, error) {
	type res struct {
		s   *zktest.Server
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := zktest.StartServer(opts...)
		ch <- res{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("cannot start an embedded ZooKeeper: %w", r.err)
		}
		return r.s, nil
	case <-ctx.Done():
		if r := <-ch; r.s != nil {
			r.s.Close()
		}
		return nil, ctx.Err()
	}
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(s string) error {
	*m = append(*m, s)
	return nil
}
