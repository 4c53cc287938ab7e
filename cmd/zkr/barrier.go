package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
)

func init() {
	register(&command{
		name: "barrier", summary: "barriers: a gate others wait at, and double barriers (start together, finish together)",
		subs: []*command{
			{
				name: "set", synopsis: "barrier set PATH", summary: "close the barrier at PATH (create its node)",
				examples: []string{"zkr barrier set /gates/release-42"},
				setup:    barrierSimple(func(ctx context.Context, b *barrier.Barrier) error { return b.Set(ctx) }),
			},
			{
				name: "remove", synopsis: "barrier remove PATH", summary: "open the barrier at PATH, releasing every waiter",
				examples: []string{"zkr barrier remove /gates/release-42"},
				setup:    barrierSimple(func(ctx context.Context, b *barrier.Barrier) error { return b.Remove(ctx) }),
			},
			{
				name: "wait", synopsis: "barrier wait [--timeout D] PATH", summary: "wait until the barrier at PATH is open (absent)",
				details:  "Returns at once if the barrier is not set. Exit 4 if --timeout expires first.",
				examples: []string{"zkr barrier wait /gates/release-42 && ./deploy.sh", "zkr barrier wait --timeout 10m /gates/release-42"},
				setup: func(a *app, fs *flag.FlagSet) runner {
					timeout := fs.Duration("timeout", 0, "give up (exit 4) after this long (0: wait forever)")
					return func(ctx context.Context, p parsed) error { return a.barrierWait(ctx, p, *timeout) }
				},
			},
			{
				name: "enter", synopsis: "barrier enter PATH --members N [--detach] [-- CMD [ARGS...]]",
				summary:  "double barrier: wait for N members, run CMD, then wait until all N have left",
				takesCmd: true,
				details: para("Enter returns once N members (zkr processes or library users) have entered",
					"PATH; then CMD runs (with ZKR_BARRIER_PATH set); then zkr leaves and waits until",
					"every member of the round has left, and exits with CMD's status. Without CMD",
					"the members simply meet: all start together and finish together. Membership",
					"is an ephemeral node of zkr's session, so a member that dies drops out instead",
					"of blocking the others forever.",
					"",
					"--detach (no CMD) enters and returns, leaving a zkr process in the background",
					"that keeps the membership (and its session) until 'zkr barrier leave PATH'",
					"(same servers, namespace and --id) tells it to leave, for scripts that work",
					"between two commands. Exit 4 if --timeout expires while waiting to enter; a",
					"barrier that is already full exits 1."),
				examples: []string{
					"zkr barrier enter /batches/nightly --members 3 -- ./process-shard.sh",
					"zkr barrier enter /sync/start --members 5 --timeout 2m",
					"zkr barrier enter --detach /batches/nightly --members 3 && ./work.sh; zkr barrier leave /batches/nightly",
				},
				setup: func(a *app, fs *flag.FlagSet) runner {
					var o enterFlags
					fs.IntVar(&o.members, "members", 0, "number of members that form a round (required)")
					fs.DurationVar(&o.timeout, "timeout", 0, "give up entering (exit 4) after this long (0: wait forever)")
					fs.DurationVar(&o.grace, "grace", defaultGrace, "time CMD gets between SIGTERM and SIGKILL when interrupted")
					fs.BoolVar(&o.detach, "detach", false, "enter, then return and stay a member in the background until 'barrier leave'")
					fs.StringVar(&o.id, "id", "", "with --detach: names this member, for several on one machine")
					return func(ctx context.Context, p parsed) error { return a.barrierEnter(ctx, p, o) }
				},
			},
			{
				name: "leave", synopsis: "barrier leave [--id NAME] PATH", summary: "leave a double barrier entered with 'enter --detach'; wait until all have left",
				details: para("Tells this machine's detached member of PATH (started by 'zkr barrier enter",
					"--detach' with the same servers, namespace and --id) to leave, and returns once",
					"every member of the round has left. Exit 1 if there is no such member (it was",
					"never started, has left, or its session ended)."),
				examples: []string{"zkr barrier leave /batches/nightly"},
				setup: func(a *app, fs *flag.FlagSet) runner {
					fs.Int("members", 0, "number of members (not needed: the member knows)")
					id := fs.String("id", "", "the --id the member entered with")
					return func(ctx context.Context, p parsed) error { return a.barrierLeave(ctx, p, *id) }
				},
			},
		},
	})
}

type enterFlags struct {
	members        int
	timeout, grace time.Duration
	detach         bool
	id             string
}

func barrierSimple(op func(context.Context, *barrier.Barrier) error) func(*app, *flag.FlagSet) runner {
	return func(a *app, fs *flag.FlagSet) runner {
		return func(ctx context.Context, p parsed) error {
			if err := wantArgs("barrier", p.pos, 1, 1); err != nil {
				return err
			}
			return a.withClient(ctx, p.pos[0], false, func(c *zkrecipes.Client) error {
				b, err := barrier.New(c, p.pos[0])
				if err != nil {
					return err
				}
				return op(ctx, b)
			})
		}
	}
}

func (a *app) barrierWait(ctx context.Context, p parsed, timeout time.Duration) error {
	if err := wantArgs("barrier wait", p.pos, 1, 1); err != nil {
		return err
	}
	if timeout < 0 {
		return usagef("barrier wait: --timeout must not be negative")
	}
	path := p.pos[0]
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		wctx, cancel := withOptionalTimeout(ctx, timeout)
		defer cancel()
		b, err := barrier.New(c, path)
		if err != nil {
			return err
		}
		err = b.Wait(wctx)
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return timeoutf("barrier %s still set after %v", path, timeout)
		}
		return err
	})
}

func (a *app) barrierEnter(ctx context.Context, p parsed, o enterFlags) error {
	if len(p.pos) == 0 {
		return usagef("barrier enter: missing PATH")
	}
	path, argv := p.pos[0], commandArgs(p, 1)
	switch {
	case o.members <= 0:
		return usagef("barrier enter: --members N (at least 1) is required")
	case o.timeout < 0 || o.grace < 0:
		return usagef("barrier enter: --timeout and --grace must not be negative")
	case o.detach && len(argv) > 0:
		return usagef("barrier enter: --detach takes no CMD")
	case o.id != "" && !o.detach:
		return usagef("barrier enter: --id goes with --detach")
	}
	sock := os.Getenv(envDetached)
	if o.detach && sock == "" {
		if err := validPath(path, false); err != nil {
			return err
		}
		return a.barrierDetach(ctx, path, o)
	}
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		d, err := barrier.NewDouble(c, path, o.members)
		if err != nil {
			return err
		}
		if o.detach {
			return a.barrierMember(ctx, c, d, path, sock, o)
		}
		ectx, cancel := withOptionalTimeout(ctx, o.timeout)
		err = d.Enter(ectx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			return timeoutf("fewer than %d members entered %s within %v", o.members, path, o.timeout)
		case err != nil:
			return err
		}
		a.logf("entered %s: all %d members are here", path, o.members)
		var result error
		if len(argv) > 0 {
			ch, err := a.startChild(argv, []string{"ZKR_BARRIER_PATH=" + path}, nil)
			if err != nil {
				result = err
			} else {
				select {
				case <-ch.done:
				case <-ctx.Done():
					ch.stop(stopSignal(ctx), o.grace)
				}
				result = childResult(ch)
			}
		}
		lctx, lcancel := ctx, context.CancelFunc(func() {})
		if ctx.Err() != nil {
			lctx, lcancel = cleanupCtx(ctx) // still delete our member node
		}
		defer lcancel()
		if err := d.Leave(lctx); err != nil {
			if result == nil {
				result = err
			}
			return result
		}
		a.logf("left %s: all %d members are done", path, o.members)
		return result
	})
}

// withOptionalTimeout bounds ctx by d when d > 0.
func withOptionalTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return ctx, func() {}
}
