package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
)

func init() {
	register(&command{
		name: "elect", synopsis: "elect PATH [--id ID] [-- CMD [ARGS...]] | elect --observe|--list PATH",
		summary:  "run CMD only while leader; campaign again after losing (or watch the leader)",
		takesCmd: true,
		details: para("Campaigns in the leader election at PATH. With CMD it shares the election with",
			"Curator's LeaderSelector (\"lock-\" nodes), without CMD with Curator's LeaderLatch",
			"(\"latch-\" nodes); --layout latch|selector chooses. zkr participants of both",
			"layouts elect one leader, and --observe and --list show both.",
			"",
			"While leader, zkr runs CMD with ZKR_ELECT_PATH, ZKR_ELECT_ID and ZKR_ELECT_TOKEN",
			"(the term's fencing token). When leadership is lost (session expired, or the",
			"connection dropped, which counts as lost by default) CMD gets SIGTERM, then",
			"SIGKILL after --grace, and zkr campaigns again. It runs until interrupted",
			"(exit 0), resigning on the way out. When CMD exits by itself zkr resigns and",
			"exits with CMD's status, unless --restart: then it campaigns again and reruns",
			"CMD once elected (after --restart-delay).",
			"",
			"Without CMD zkr campaigns, prints \"leader\" when elected and holds leadership",
			"until interrupted (exit 0) or lost (exit 3). --observe prints the leader and",
			"each change until interrupted; --list prints the participants in election",
			"order (the first one leads)."),
		examples: []string{
			"zkr elect /elect/scheduler --id $(hostname) -- ./scheduler --serve",
			"zkr elect /elect/cron --restart -- ./run-pending-jobs.sh",
			"zkr elect --observe /elect/scheduler",
			"zkr elect --list --json /elect/scheduler",
		},
		setup: func(a *app, fs *flag.FlagSet) runner {
			var o electFlags
			fs.StringVar(&o.id, "id", "", "participant id stored in the election node (default host-pid)")
			fs.BoolVar(&o.observe, "observe", false, "print the leader and its changes until interrupted")
			fs.BoolVar(&o.list, "list", false, "print the participants in election order and exit")
			fs.DurationVar(&o.grace, "grace", defaultGrace, "time CMD gets between SIGTERM and SIGKILL")
			fs.BoolVar(&o.restart, "restart", false, "when CMD exits, campaign again and rerun it once elected")
			fs.DurationVar(&o.restartDelay, "restart-delay", time.Second, "pause before campaigning again after CMD exited (with --restart)")
			fs.BoolVar(&o.keepOnSuspend, "keep-on-suspend", false, "end leadership only when the session is lost, not when the connection drops")
			fs.BoolVar(&o.quiet, "q", false, "quiet: no status messages on stderr")
			fs.StringVar(&o.layout, "layout", "", "node layout: latch (Curator LeaderLatch) or selector (LeaderSelector); default selector with CMD, latch without")
			return func(ctx context.Context, p parsed) error { return a.elect(ctx, p, o) }
		},
	})
}

type electFlags struct {
	id                     string
	observe, list          bool
	grace, restartDelay    time.Duration
	restart, keepOnSuspend bool
	quiet                  bool
	layout                 string
}

func (a *app) elect(ctx context.Context, p parsed, o electFlags) error {
	if len(p.pos) == 0 {
		return usagef("elect: missing PATH (see 'zkr help elect')")
	}
	path := p.pos[0]
	argv := commandArgs(p, 1)
	switch {
	case o.observe && o.list:
		return usagef("elect: --observe and --list exclude each other")
	case (o.observe || o.list) && len(argv) > 0:
		return usagef("elect: --observe and --list take no CMD")
	case o.grace < 0 || o.restartDelay < 0:
		return usagef("elect: --grace and --restart-delay must not be negative")
	case !p.dashdash && len(argv) > 0 && strings.HasPrefix(argv[0], "-"):
		return usagef("elect: put -- before CMD")
	}
	if err := validPath(path, false); err != nil {
		return err
	}
	layout, err := parseLayout(o.layout)
	if err != nil {
		return err
	}
	if o.id == "" {
		host, _ := os.Hostname()
		o.id = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	c, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	opts := []election.Option{
		election.WithID(o.id),
		election.WithSuspendedIsLost(!o.keepOnSuspend),
		// Run must not resign before the CMD we stop has had its grace.
		election.WithGracePeriod(o.grace + 5*time.Second),
	}
	if layout != 0 {
		opts = append(opts, election.WithLayout(layout))
	}
	e, err := election.New(c, path, opts...)
	if err != nil {
		return err
	}
	switch {
	case o.observe:
		return a.observe(ctx, c, e)
	case o.list:
		return a.listParticipants(ctx, e)
	case len(argv) == 0:
		return a.leadUntil(ctx, e)
	}
	return a.electRun(ctx, c, e, argv, o, opts)
}

// parseLayout maps --layout to an election layout; 0 means the default.
func parseLayout(s string) (election.Layout, error) {
	switch s {
	case "":
		return 0, nil
	case "latch":
		return election.LeaderLatch, nil
	case "selector":
		return election.LeaderSelector, nil
	}
	return 0, usagef("elect: --layout must be latch or selector, not %q", s)
}

// electRun runs CMD whenever this participant leads, through election.Run.
func (a *app) electRun(ctx context.Context, c *zkrecipes.Client, viewer *election.Election, argv []string, o electFlags, opts []election.Option) error {
	rctx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	path := viewer.Path()
	var (
		exitMu sync.Mutex
		exit   error // CMD's result when it ended the run
	)
	setExit := func(err error) {
		exitMu.Lock()
		exit = err
		exitMu.Unlock()
		stopRun()
	}
	job := func(jctx context.Context) error {
		token := int64(0)
		if l, err := viewer.Leader(jctx); err == nil && l.ID == o.id {
			token = l.Token
		}
		if !o.quiet {
			a.logf("elected leader of %s as %q (token %d): starting %s", path, o.id, token, argv[0])
		}
		env := []string{"ZKR_ELECT_PATH=" + path, "ZKR_ELECT_ID=" + o.id, fmt.Sprintf("ZKR_ELECT_TOKEN=%d", token)}
		ch, err := a.startChild(argv, env, nil)
		if err != nil {
			setExit(err)
			return err
		}
		select {
		case <-ch.done:
			if !o.restart {
				setExit(childResult(ch))
				return nil
			}
			a.logf("%s exited with status %d; campaigning again in %v", argv[0], ch.status(), o.restartDelay)
			select {
			case <-time.After(o.restartDelay):
			case <-jctx.Done():
			}
			return nil
		case <-jctx.Done():
		}
		if ctx.Err() != nil {
			if !o.quiet {
				a.logf("interrupted: stopping %s and resigning", argv[0])
			}
			ch.stop(stopSignal(ctx), o.grace)
			return nil
		}
		a.logf("leadership of %s LOST (%v): stopping %s", path, context.Cause(jctx), argv[0])
		ch.stop(syscall.SIGTERM, o.grace)
		a.logf("%s stopped (status %d); campaigning again", argv[0], ch.status())
		return nil
	}
	if !o.quiet {
		a.logf("campaigning for %s as %q", path, o.id)
	}
	err := election.Run(rctx, c, path, job, opts...)
	exitMu.Lock()
	defer exitMu.Unlock()
	switch {
	case exit != nil:
		return exit
	case rctx.Err() != nil && ctx.Err() == nil:
		return nil // CMD exited with status 0
	case ctx.Err() != nil:
		return nil // interrupted: the normal end of elect
	}
	return err
}

// leadUntil campaigns once and holds leadership until interrupted or lost.
func (a *app) leadUntil(ctx context.Context, e *election.Election) error {
	a.logf("campaigning for %s as %q", e.Path(), e.ID())
	t, err := e.Campaign(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer func() {
		rctx, cancel := cleanupCtx(ctx)
		defer cancel()
		_ = t.Resign(rctx)
	}()
	a.logf("elected leader of %s (token %d); Ctrl-C resigns", e.Path(), t.Token())
	if a.json {
		if err := a.printJSON(map[string]any{"leader": true, "path": e.Path(), "id": e.ID(), "token": t.Token()}); err != nil {
			return err
		}
	} else {
		a.printf("leader %s %d\n", e.ID(), t.Token())
	}
	select {
	case <-ctx.Done():
		return nil
	case <-t.Done():
		return lostf("leadership of %s LOST (%v)", e.Path(), context.Cause(t.Context()))
	}
}

func (a *app) observe(ctx context.Context, c *zkrecipes.Client, e *election.Election) error {
	leaders, states := e.Observe(ctx), stateChanges(ctx, c)
	for {
		var p election.Participant
		var ok bool
		select {
		case sc, open := <-states:
			if !open {
				states = nil
			} else {
				a.printState(e.Path(), sc)
			}
			continue
		case p, ok = <-leaders:
		}
		if !ok {
			break
		}
		now := time.Now()
		if a.json {
			_ = a.printJSON(map[string]any{"time": now.UTC().Format(time.RFC3339Nano), "leader": p.ID, "node": p.Node, "token": p.Token, "has_leader": p.Node != ""})
			continue
		}
		if p.Node == "" {
			a.printf("%s no leader\n", now.Format("15:04:05.000"))
			continue
		}
		a.printf("%s leader %s (node %s, token %d)\n", now.Format("15:04:05.000"), p.ID, p.Node, p.Token)
	}
	if ctx.Err() == nil {
		return errors.New("observe ended: client closed")
	}
	return nil
}

func (a *app) listParticipants(ctx context.Context, e *election.Election) error {
	ps, err := e.Participants(ctx)
	if err != nil {
		return err
	}
	if a.json {
		out := []map[string]any{}
		for i, p := range ps {
			out = append(out, map[string]any{"id": p.ID, "node": p.Node, "token": p.Token, "leader": i == 0})
		}
		return a.printJSON(out)
	}
	for i, p := range ps {
		role := "waiting"
		if i == 0 {
			role = "leader"
		}
		a.printf("%s\t%s\t%s\n", role, p.ID, p.Node)
	}
	return nil
}
