package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func init() {
	register(&command{
		name: "demo", synopsis: "demo [--servers ...]",
		summary: "a live walkthrough of the recipes on an embedded ZooKeeper (no set-up needed)",
		details: para("Without --servers (or $ZK_SERVERS) zkr starts a local ZooKeeper from the",
			"installed distribution (Debian: apt-get install -y zookeeper default-jre-headless,",
			"or 'make demo') and shows, with narrated output:",
			"  1. workers contending for a lock, each holding a fencing token;",
			"  2. a leader whose network is cut: it steps down at once, its session expires",
			"     and another candidate takes over; the old leader rejoins at the back;",
			"  3. a work queue whose consumer dies mid-message: the message is redelivered",
			"     to another consumer, nothing is lost.",
			"With --servers the demo runs under a fresh path on that ensemble and removes it",
			"afterwards. Everything is stopped and cleaned up on exit or Ctrl-C. It takes",
			"about 20 seconds."),
		examples: []string{"zkr demo", "make demo", "zkr demo --servers zk1:2181   # on your own ensemble"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			var o demoFlags
			fs.DurationVar(&o.faultTimeout, "fault-session-timeout", 2*time.Second, "session timeout of the clients whose network the demo cuts")
			fs.BoolVar(&o.skipElection, "skip-election", false, "skip the leader-election scene")
			fs.BoolVar(&o.skipQueue, "skip-queue", false, "skip the work-queue scene")
			fs.BoolVar(&o.skipLock, "skip-lock", false, "skip the lock scene")
			return func(ctx context.Context, p parsed) error {
				if err := wantArgs("demo", p.pos, 0, 0); err != nil {
					return err
				}
				return a.demo(ctx, o)
			}
		},
	})
}

type demoFlags struct {
	faultTimeout                      time.Duration
	skipLock, skipElection, skipQueue bool
}

// demoEnv is what every scene gets: where to connect, a root for its
// znodes, and the narrator.
type demoEnv struct {
	a       *app
	servers []string
	root    string
	n       *narrator
	o       demoFlags
}

func (a *app) demo(ctx context.Context, o demoFlags) error {
	n := &narrator{w: a.stdout, start: time.Now()}
	d := &demoEnv{a: a, n: n, o: o, root: fmt.Sprintf("/zkr-demo-%d", time.Now().UnixNano())}
	if a.serversGiven() {
		servers, err := a.serverList()
		if err != nil {
			return err
		}
		d.servers = servers
		n.say("Using the ensemble at %s, under %s (removed at the end).", strings.Join(servers, ","), d.root)
	} else {
		n.say("Starting an embedded ZooKeeper (a real server from the installed distribution)...")
		srv, err := a.startEmbedded(ctx)
		if err != nil {
			return err
		}
		defer func() {
			srv.Close()
			n.say("Embedded ZooKeeper stopped and its data removed.")
		}()
		d.servers = []string{srv.Addr()}
		n.say("ZooKeeper is serving on %s.", srv.Addr())
	}
	defer d.cleanup(ctx)
	scenes := []struct {
		skip bool
		run  func(context.Context) error
	}{
		{o.skipLock, d.lockScene},
		{o.skipElection, d.electionScene},
		{o.skipQueue, d.queueScene},
	}
	for _, s := range scenes {
		if s.skip {
			continue
		}
		if err := s.run(ctx); err != nil {
			if ctx.Err() != nil {
				n.say("Interrupted: stopping everything.")
				return ctx.Err()
			}
			return err
		}
	}
	n.title("Done")
	n.say("That was zkrecipes. Try it from the shell in two terminals: 'zkr server', then")
	n.say("'zkr lock /locks/x -- sleep 10' twice, or 'zkr help' for every command.")
	return nil
}

// client connects one demo participant (its own session) under the demo
// root. A FaultDialer, when given, lets the demo cut its network.
func (d *demoEnv) client(ctx context.Context, timeout time.Duration, fd *zktest.FaultDialer) (*zkrecipes.Client, error) {
	opts := []zkrecipes.Option{zkrecipes.WithNamespace(d.root), zkrecipes.WithSessionTimeout(timeout)}
	if fd != nil {
		opts = append(opts, zkrecipes.WithDialer(fd.Dial))
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return zkrecipes.Connect(cctx, d.servers, opts...)
}

// cleanup deletes the demo root (on an embedded server it goes anyway).
func (d *demoEnv) cleanup(ctx context.Context) {
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	c, err := zkrecipes.Connect(cctx, d.servers)
	if err != nil {
		return
	}
	defer c.Close()
	_ = deleteTree(cctx, c, d.root)
}

// narrator prints the demo's story with time stamps from its start.
type narrator struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func (n *narrator) title(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := fmt.Sprintf(format, args...)
	fmt.Fprintf(n.w, "\n%s\n%s\n", t, strings.Repeat("=", len(t)))
}

func (n *narrator) say(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fmt.Fprintf(n.w, "%s\n", fmt.Sprintf(format, args...))
}

// actor prints one participant's line: "[ 1.23s] worker-1    ...".
func (n *narrator) actor(who, format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fmt.Fprintf(n.w, "  [%5.2fs] %-12s %s\n", time.Since(n.start).Seconds(), who, fmt.Sprintf(format, args...))
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
