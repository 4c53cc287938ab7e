// Command zkr runs ZooKeeper coordination recipes from the shell: run a
// command while holding a lock or while leader, move work through a queue,
// synchronise on barriers, keep counters, inspect znodes, benchmark an
// ensemble, and try it all on an embedded server with "zkr demo".
//
// Run "zkr --help" for the command list and "zkr help COMMAND" for details.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process exit, so the exit-code mapping lives in
// one place.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, hurry, stop := signalContext(stderr)
	defer stop()
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, hurry: hurry, argv: args}
	err := a.main(ctx, args)
	code := exitCode(ctx, err)
	if code == 0 {
		return 0
	}
	var ee *exitError
	fromCmd := errors.As(err, &ee) && ee.child
	if a.highExit && !fromCmd && code >= exitFailure && code <= exitTimeout {
		code += highExitBase
	}
	a.reportExit(ctx, err, code, fromCmd)
	return code
}

// highExitBase is added to zkr's own exit statuses 1-4 under --high-exit-codes.
const highExitBase = 200

// reportExit tells on stderr why zkr exits with code: a message, or with
// --json one object {"level":"error","exit":code,"by":"zkr"|"command",
// "kind":...,"error":...}. CMD's own status gets no text message (CMD
// spoke for itself), but a JSON record, so scripts can tell the two apart.
func (a *app) reportExit(ctx context.Context, err error, code int, fromCmd bool) {
	var ee *exitError
	msg := ""
	sig, intr := interrupted(ctx)
	switch {
	case errors.As(err, &ee) && ee.err == nil:
	case intr && errors.Is(err, context.Canceled):
		msg = "interrupted by " + sigName(sig)
	default:
		msg = friendly(err)
	}
	if a.json {
		rec := map[string]any{"level": "error", "exit": code, "by": "zkr", "kind": exitKind(err, intr, fromCmd)}
		if fromCmd {
			rec["by"] = "command"
		}
		if msg != "" {
			rec["error"] = msg
		}
		a.writeJSON(a.stderr, rec)
		return
	}
	if msg != "" {
		fmt.Fprintf(a.stderr, "zkr: %s\n", msg)
	}
	if errors.As(err, &ee) && ee.code == exitUsage {
		fmt.Fprintln(a.stderr, "Run 'zkr --help' for usage.")
	}
}

// exitKind names the reason for a non-zero exit in JSON reports.
func exitKind(err error, interrupted, fromCmd bool) string {
	var ee *exitError
	switch {
	case fromCmd:
		return "command"
	case errors.As(err, &ee) && ee.code == exitUsage:
		return "usage"
	case errors.As(err, &ee) && ee.code == exitLost:
		return "lost"
	case errors.As(err, &ee) && ee.code == exitTimeout:
		return "timeout"
	case interrupted && errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return "failure"
}

// signalError is the cancellation cause of the root context when a signal
// arrived: commands forward it to the child they run.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "interrupted by " + sigName(e.sig) }

func sigName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// dupWindow is how soon after the first signal a second one counts as the
// same event: "timeout -s INT zkr ..." (and any kill of zkr's process
// group) delivers one signal to zkr twice, to the process and to its group.
const dupWindow = time.Second

// signalContext returns a context cancelled (with a signalError cause) at
// the first SIGINT or SIGTERM, so commands stop CMD, release what they
// hold and close their session. A further signal (after dupWindow) closes
// hurry: CMD is killed at once, and the release still happens. One after
// that exits at once, without cleanup.
func signalContext(stderr io.Writer) (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	hurry := make(chan struct{})
	done := make(chan struct{})
	go func() {
		var first time.Time
		for n := 0; ; {
			select {
			case sig := <-ch:
				switch {
				case n == 0:
					first = time.Now()
					cancel(signalError{sig})
				case time.Since(first) < dupWindow:
					continue // the same signal, delivered to the process and its group
				case n == 1:
					fmt.Fprintf(stderr, "zkr: second %s: killing CMD now, then releasing (another one exits without cleanup)\n", sigName(sig))
					close(hurry)
				default:
					fmt.Fprintf(stderr, "zkr: third %s: exiting without cleanup\n", sigName(sig))
					os.Exit(128 + signum(sig))
				}
				n++
			case <-done:
				return
			}
		}
	}()
	return ctx, hurry, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

func signum(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return 1
}

// interrupted returns the signal that cancelled ctx, if any.
func interrupted(ctx context.Context) (os.Signal, bool) {
	var se signalError
	if errors.As(context.Cause(ctx), &se) {
		return se.sig, true
	}
	return nil, false
}

// friendly drops the library prefixes from an error message: "zkrecipes:
// get /x: zk: node does not exist" reads "get /x: node does not exist".
func friendly(err error) string {
	msg := strings.TrimPrefix(err.Error(), "zkrecipes: ")
	return strings.ReplaceAll(msg, ": zk: ", ": ")
}
