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
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process exit, so the exit-code mapping lives in
// one place.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signalContext(stderr)
	defer stop()
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	err := a.main(ctx, args)
	code := exitCode(ctx, err)
	if err != nil && code != 0 {
		var ee *exitError
		sig, intr := interrupted(ctx)
		switch {
		case errors.As(err, &ee) && ee.err == nil:
		case intr && errors.Is(err, context.Canceled):
			fmt.Fprintf(stderr, "zkr: interrupted by %s\n", sigName(sig))
		default:
			fmt.Fprintf(stderr, "zkr: %s\n", friendly(err))
		}
		if code == exitUsage {
			fmt.Fprintln(stderr, "Run 'zkr --help' for usage.")
		}
	}
	return code
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

// signalContext returns a context cancelled (with a signalError cause) at
// the first SIGINT or SIGTERM, so commands release what they hold and close
// their session. A second signal exits at once.
func signalContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(signalError{sig})
		case <-done:
			return
		}
		select {
		case sig := <-ch:
			fmt.Fprintf(stderr, "zkr: second %v: exiting without cleanup\n", sig)
			os.Exit(128 + signum(sig))
		case <-done:
		}
	}()
	return ctx, func() {
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
