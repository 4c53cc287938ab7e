package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

func init() {
	register(&command{
		name: "lock", synopsis: "lock [--timeout D] [--semaphore N] PATH [-- CMD [ARGS...]]",
		summary:  "run CMD while holding a distributed mutex (or one of N semaphore leases)",
		takesCmd: true,
		details: para("Waits for the lock at PATH (FIFO among waiters), runs CMD, releases the lock",
			"when CMD exits and exits with CMD's status. CMD gets ZKR_LOCK_PATH, ZKR_LOCK_NODE",
			"and ZKR_LOCK_TOKEN (the fencing token: strictly greater for every later holder;",
			"pass it to resources that must refuse a stale holder).",
			"",
			"If the lock is lost while CMD runs (session expired, or the connection dropped:",
			"then the session may be expiring unseen, so by default that counts as lost),",
			"zkr sends CMD SIGTERM, then SIGKILL after --grace, and exits 3. On SIGINT or",
			"SIGTERM zkr passes the signal to CMD, waits for it (up to --grace), releases the",
			"lock and exits with CMD's status. If zkr itself is killed, CMD is killed too",
			"(Linux) and the lock is freed when the session expires.",
			"",
			"Without CMD, zkr holds the lock until interrupted (exit 0) or lost (exit 3).",
			"Interoperable with Curator's InterProcessMutex / InterProcessSemaphoreV2."),
		examples: []string{
			"zkr lock /locks/backup -- ./backup.sh --full",
			"zkr lock --timeout 30s /locks/deploy -- make deploy   # exit 4 if not acquired in 30s",
			"zkr lock --semaphore 3 /limits/db-migrations -- ./migrate.sh",
			"zkr lock /locks/maintenance                           # hold until Ctrl-C",
		},
		setup: func(a *app, fs *flag.FlagSet) runner {
			var o lockFlags
			fs.DurationVar(&o.timeout, "timeout", 0, "give up (exit 4) if not acquired within this long (0: wait forever)")
			fs.IntVar(&o.semaphore, "semaphore", 0, "take one of `N` leases of a semaphore instead of a mutex")
			fs.DurationVar(&o.grace, "grace", defaultGrace, "time CMD gets between SIGTERM and SIGKILL")
			fs.BoolVar(&o.keepOnSuspend, "keep-on-suspend", false, "count the lock as lost only when the session is lost, not when the connection drops")
			fs.StringVar(&o.id, "id", "", "holder id stored in the lock node (default host-pid)")
			fs.BoolVar(&o.quiet, "q", false, "quiet: no status messages on stderr")
			return func(ctx context.Context, p parsed) error {
				fs.Visit(func(f *flag.Flag) { o.semaphoreSet = o.semaphoreSet || f.Name == "semaphore" })
				return a.lock(ctx, p, o)
			}
		},
	})
}

type lockFlags struct {
	timeout       time.Duration
	semaphore     int
	semaphoreSet  bool // --semaphore given: 0 is then an error, not "a mutex"
	grace         time.Duration
	keepOnSuspend bool
	id            string
	quiet         bool
}

// held is what lock and lease have in common.
type held interface {
	Lost() <-chan struct{}
	Token() int64
	Node() string
	release(ctx context.Context) error
}

type heldMutex struct{ *lock.Mutex }

func (h heldMutex) release(ctx context.Context) error { return h.Unlock(ctx) }

type heldLease struct{ *lock.Lease }

func (h heldLease) release(ctx context.Context) error { return h.Release(ctx) }

func (a *app) lock(ctx context.Context, p parsed, o lockFlags) error {
	if len(p.pos) == 0 {
		return usagef("lock: missing PATH (see 'zkr help lock')")
	}
	path := p.pos[0]
	argv := commandArgs(p, 1)
	switch {
	case o.semaphore < 0 || o.semaphoreSet && o.semaphore == 0:
		return usagef("lock: --semaphore must be at least 1")
	case o.timeout < 0 || o.grace < 0:
		return usagef("lock: --timeout and --grace must not be negative")
	case !p.dashdash && len(p.pos) > 1 && len(argv) > 0 && strings.HasPrefix(argv[0], "-"):
		return usagef("lock: put -- before CMD")
	}
	if err := validPath(path, false); err != nil {
		return err
	}
	c, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	h, err := a.acquire(ctx, c, path, o)
	if err != nil {
		return err
	}
	sess := c.Session() // the session that holds h
	what := "lock " + path
	if o.semaphore > 0 {
		what = fmt.Sprintf("semaphore %s (1 of %d leases)", path, o.semaphore)
	}
	release := func() {
		rctx, cancel := cleanupCtx(ctx)
		defer cancel()
		if err := h.release(rctx); err != nil && !errors.Is(err, lock.ErrNotLocked) {
			a.logf("release %s: %v", path, err)
		}
	}
	defer release()
	if !o.quiet {
		a.logf("acquired %s (token %d)", what, h.Token())
	}
	if len(argv) == 0 {
		return a.holdUntil(ctx, sess, h, path, what)
	}
	env := []string{
		"ZKR_LOCK_PATH=" + path,
		"ZKR_LOCK_NODE=" + h.Node(),
		fmt.Sprintf("ZKR_LOCK_TOKEN=%d", h.Token()),
	}
	ch, err := a.startChild(argv, env, nil)
	if err != nil {
		return err
	}
	select {
	case <-ch.done:
		return childResult(ch)
	case <-h.Lost():
		a.logf("%s LOST (%s): stopping %s", what, lossCause(sess), argv[0])
		ch.stop(syscall.SIGTERM, o.grace)
		return lostf("%s was lost while %s ran; it was stopped (status %d)", what, argv[0], ch.status())
	case <-ctx.Done():
		if !o.quiet {
			a.logf("interrupted: stopping %s, then releasing %s", argv[0], what)
		}
		ch.stop(stopSignal(ctx), o.grace)
		return childResult(ch)
	}
}

// acquire takes the mutex or a lease, within --timeout.
func (a *app) acquire(ctx context.Context, c *zkrecipes.Client, path string, o lockFlags) (held, error) {
	id := o.id
	if id == "" {
		host, _ := os.Hostname()
		id = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	opts := []lock.Option{lock.WithData([]byte(id)), lock.WithSuspendedIsLost(!o.keepOnSuspend)}
	actx, cancel := ctx, context.CancelFunc(func() {})
	if o.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, o.timeout)
	}
	defer cancel()
	var h held
	var err error
	if o.semaphore > 0 {
		var s *lock.Semaphore
		if s, err = lock.NewSemaphore(c, path, o.semaphore, opts...); err != nil {
			return nil, err
		}
		var l *lock.Lease
		if l, err = s.Acquire(actx); err == nil {
			h = heldLease{l}
		}
	} else {
		var m *lock.Mutex
		if m, err = lock.NewMutex(c, path, opts...); err != nil {
			return nil, err
		}
		if err = m.Lock(actx); err == nil {
			h = heldMutex{m}
		}
	}
	switch {
	case err == nil:
		return h, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return nil, timeoutf("timed out after %v waiting for %s", o.timeout, path)
	}
	return nil, err
}

// holdUntil holds h until ctx is done (exit 0) or h is lost (exit 3).
func (a *app) holdUntil(ctx context.Context, sess *zkrecipes.Session, h held, path, what string) error {
	a.logf("holding %s until interrupted (Ctrl-C releases it)", what)
	if a.json {
		if err := a.printJSON(map[string]any{"path": path, "node": h.Node(), "token": h.Token()}); err != nil {
			return err
		}
	} else {
		a.printf("%d\n", h.Token())
	}
	select {
	case <-ctx.Done():
		return nil
	case <-h.Lost():
		return lostf("%s LOST (%s)", what, lossCause(sess))
	}
}

// childResult passes a finished CMD's status through.
func childResult(ch *child) error {
	if s := ch.status(); s != 0 {
		return status(s)
	}
	return nil
}

// lossCause describes why a hold on session s ended.
func lossCause(s *zkrecipes.Session) string {
	switch {
	case s == nil:
		return "no session"
	case s.Err() != nil:
		return s.Err().Error()
	case !s.Connected():
		return "connection to ZooKeeper lost; the session may be expiring"
	}
	return "lock node deleted by someone else"
}
