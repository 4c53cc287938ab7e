package main

import (
	"context"
	"errors"
	"flag"
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
				name: "enter", synopsis: "barrier enter PATH --members N [-- CMD [ARGS...]]",
				summary:  "double barrier: wait for N members, run CMD, then wait until all N have left",
				takesCmd: true,
				details: para("Enter returns once N members (zkr processes or library users) have entered",
					"PATH; then CMD runs (with ZKR_BARRIER_PATH set); then zkr leaves and waits until",
					"every member of the round has left, and exits with CMD's status. Without CMD",
					"the members simply meet: all start together and finish together. Membership",
					"is an ephemeral node of zkr's session, so a member that dies drops out instead",
					"of blocking the others forever, and leaving is part of enter (there is no",
					"separate leave step from another process). Exit 4 if --timeout expires while",
					"waiting to enter; a barrier that is already full exits 1."),
				examples: []string{
					"zkr barrier enter /batches/nightly --members 3 -- ./process-shard.sh",
					"zkr barrier enter /sync/start --members 5 --timeout 2m",
				},
				setup: func(a *app, fs *flag.FlagSet) runner {
					var o enterFlags
					fs.IntVar(&o.members, "members", 0, "number of members that form a round (required)")
					fs.DurationVar(&o.timeout, "timeout", 0, "give up entering (exit 4) after this long (0: wait forever)")
					fs.DurationVar(&o.grace, "grace", defaultGrace, "time CMD gets between SIGTERM and SIGKILL when interrupted")
					return func(ctx context.Context, p parsed) error { return a.barrierEnter(ctx, p, o) }
				},
			},
			{
				name: "leave", synopsis: "barrier leave PATH --members N", summary: "(leaving is part of 'barrier enter', after CMD)",
				details: para("A double-barrier member is an ephemeral node of the zkr process that entered,",
					"so another process cannot leave on its behalf: 'zkr barrier enter PATH --members",
					"N -- CMD' enters, runs CMD and then leaves. This command only explains that."),
				setup: func(a *app, fs *flag.FlagSet) runner {
					fs.Int("members", 0, "number of members (ignored)")
					return func(ctx context.Context, p parsed) error {
						return usagef("barrier leave: a member leaves in the zkr process that entered; use 'zkr barrier enter PATH --members N -- CMD', which leaves after CMD")
					}
				},
			},
		},
	})
}

type enterFlags struct {
	members        int
	timeout, grace time.Duration
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
	}
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		d, err := barrier.NewDouble(c, path, o.members)
		if err != nil {
			return err
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
