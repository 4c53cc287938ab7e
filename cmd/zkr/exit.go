package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
)

// Exit codes. A command run by lock, elect, queue take --exec or barrier
// enter passes its own exit status through instead.
const (
	exitOK      = 0
	exitFailure = 1 // an operation failed (no node, connection, bad version, ...)
	exitUsage   = 2 // bad flags, arguments or paths
	exitLost    = 3 // the lock or leadership was lost while the command ran
	exitTimeout = 4 // --timeout expired before the lock, message or barrier
)

// exitError carries an exit code; err (optional) is printed to stderr.
type exitError struct {
	code  int
	err   error
	child bool // code is CMD's own status, passed through
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func lostf(format string, args ...any) error {
	return &exitError{code: exitLost, err: fmt.Errorf(format, args...)}
}

func timeoutf(format string, args ...any) error {
	return &exitError{code: exitTimeout, err: fmt.Errorf(format, args...)}
}

// status exits with code without a message (a child's exit status).
func status(code int) error { return &exitError{code: code, child: true} }

// exitCode maps a command's result to the process exit code.
func exitCode(ctx context.Context, err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	}
	if sig, ok := interrupted(ctx); ok && errors.Is(err, context.Canceled) {
		return 128 + signum(sig)
	}
	return exitFailure
}
