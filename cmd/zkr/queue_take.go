package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"syscall"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
)

func queueTakeCommand() *command {
	return &command{
		name: "take", synopsis: "queue take [--timeout D] [-f] [--exec CMD | -- CMD [ARGS...]] PATH",
		summary:  "take a message: print it and ack, or ack only when CMD succeeds",
		takesCmd: true,
		details: para("Waits for a message (FIFO within a priority), claims it, and prints its bytes",
			"exactly (--json: an object with id, deliveries and data), then acknowledges it.",
			"With --exec CMD (run by sh -c) or -- CMD ARGS, CMD gets the message on stdin and",
			"ZKR_MESSAGE_ID, ZKR_MESSAGE_DELIVERIES, ZKR_QUEUE_PATH in its environment; the",
			"message is acknowledged only if CMD exits 0, else returned to the queue (Nack),",
			"and zkr exits with CMD's status. If zkr's session is lost while CMD runs, CMD is",
			"stopped and zkr exits 3: the message will be delivered again. If zkr dies, its",
			"claim ends with its session and the message is redelivered (at-least-once).",
			"On SIGINT/SIGTERM a held message is returned to the queue before zkr exits.",
			"",
			"-f keeps taking until interrupted (exit 0): a worker. A failing CMD then does",
			"not end the loop; with --max-deliveries N a message that failed its Nth",
			"delivery goes to the dead-letter queue (PATH/dead) instead of coming back.",
			"--timeout: exit 4 if no message arrives in time (with -f: stop when idle that",
			"long, exit 0)."),
		examples: []string{
			"zkr queue take /jobs",
			"zkr queue take --timeout 30s --json /jobs",
			"zkr queue take --exec './resize.sh' /jobs",
			"zkr queue take -f --max-deliveries 5 /jobs -- ./worker --verbose",
		},
		setup: func(a *app, fs *flag.FlagSet) runner {
			var o takeFlags
			fs.DurationVar(&o.timeout, "timeout", 0, "give up (exit 4) if no message within this long (0: wait forever)")
			fs.BoolVar(&o.follow, "f", false, "follow: keep taking messages until interrupted")
			fs.StringVar(&o.exec, "exec", "", "run this shell `command` for each message (message on stdin)")
			fs.IntVar(&o.maxDeliveries, "max-deliveries", 0, "dead-letter a message whose CMD failed on this delivery or later (0: never)")
			fs.DurationVar(&o.grace, "grace", defaultGrace, "time CMD gets between SIGTERM and SIGKILL")
			fs.BoolVar(&o.atMostOnce, "at-most-once", false, "remove the message when taking it (no redelivery if zkr or CMD fails)")
			return func(ctx context.Context, p parsed) error { return a.queueTake(ctx, p, o) }
		},
	}
}

type takeFlags struct {
	timeout, grace     time.Duration
	follow, atMostOnce bool
	exec               string
	maxDeliveries      int
}

func (a *app) queueTake(ctx context.Context, p parsed, o takeFlags) error {
	if len(p.pos) == 0 {
		return usagef("queue take: missing PATH")
	}
	path, argv := p.pos[0], commandArgs(p, 1)
	switch {
	case o.exec != "" && len(argv) > 0:
		return usagef("queue take: give --exec or -- CMD, not both")
	case o.timeout < 0 || o.grace < 0 || o.maxDeliveries < 0:
		return usagef("queue take: --timeout, --grace and --max-deliveries must not be negative")
	case o.exec != "":
		argv = []string{"sh", "-c", o.exec}
	}
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		var qopts []queue.Option
		if o.atMostOnce {
			qopts = append(qopts, queue.WithAtMostOnce())
		}
		q, err := queue.New(c, path, qopts...)
		if err != nil {
			return err
		}
		for {
			tctx, cancel := withOptionalTimeout(ctx, o.timeout)
			m, err := q.Take(tctx)
			cancel()
			switch {
			case err == nil:
			case ctx.Err() != nil && o.follow:
				return nil
			case ctx.Err() != nil:
				return ctx.Err()
			case errors.Is(err, context.DeadlineExceeded) && o.follow:
				a.logf("no message for %v: stopping", o.timeout)
				return nil
			case errors.Is(err, context.DeadlineExceeded):
				return timeoutf("no message in %s within %v", path, o.timeout)
			default:
				return err
			}
			err = a.handleMessage(ctx, path, m, argv, o)
			var ee *exitError
			switch {
			case !o.follow || ctx.Err() != nil:
				return err
			case errors.As(err, &ee) && ee.code != exitLost && ee.err == nil:
				continue // CMD failed; the message was returned or dead-lettered
			case err != nil:
				return err
			}
		}
	})
}

// handleMessage prints or runs CMD on m, then settles it: Ack on success,
// else Nack (or DeadLetter past --max-deliveries).
func (a *app) handleMessage(ctx context.Context, path string, m *queue.Message, argv []string, o takeFlags) error {
	sctx, cancel := cleanupCtx(ctx) // settle even after an interrupt
	defer cancel()
	if len(argv) == 0 {
		if err := a.printMessage(m, o.follow); err != nil {
			_ = m.Nack(sctx)
			return err
		}
		return settleErr(m, m.Ack(sctx))
	}
	env := []string{
		"ZKR_QUEUE_PATH=" + path,
		"ZKR_MESSAGE_ID=" + m.ID,
		fmt.Sprintf("ZKR_MESSAGE_DELIVERIES=%d", m.Deliveries),
		fmt.Sprintf("ZKR_MESSAGE_PRIORITY=%d", m.Priority),
	}
	ch, err := a.startChild(argv, env, bytes.NewReader(m.Data))
	if err != nil {
		_ = m.Nack(sctx)
		return err
	}
	select {
	case <-ch.done:
	case <-m.Lost():
		a.logf("claim on message %s LOST (session ended): stopping %s; the message will be delivered again", m.ID, argv[0])
		ch.stop(syscall.SIGTERM, o.grace)
		return lostf("claim on message %s was lost while %s ran", m.ID, argv[0])
	case <-ctx.Done():
		ch.stop(stopSignal(ctx), o.grace)
	}
	if ch.status() == 0 {
		return settleErr(m, m.Ack(sctx))
	}
	if o.maxDeliveries > 0 && m.Deliveries >= o.maxDeliveries {
		a.logf("%s failed (status %d) on delivery %d of message %s: moving it to the dead-letter queue", argv[0], ch.status(), m.Deliveries, m.ID)
		if err := m.DeadLetter(sctx); err != nil {
			return settleErr(m, err)
		}
	} else {
		a.logf("%s failed (status %d): message %s returned to the queue", argv[0], ch.status(), m.ID)
		if err := m.Nack(sctx); err != nil && !errors.Is(err, queue.ErrNotClaimed) {
			return settleErr(m, err)
		}
	}
	return childResult(ch)
}

// settleErr explains a failed settlement.
func settleErr(m *queue.Message, err error) error {
	if errors.Is(err, queue.ErrClaimLost) {
		return lostf("message %s: the claim was lost before it was settled; it will be delivered again", m.ID)
	}
	return err
}
