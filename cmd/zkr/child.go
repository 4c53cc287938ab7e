package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// defaultGrace is how long a stopped CMD gets between SIGTERM and SIGKILL.
const defaultGrace = 10 * time.Second

// child is a CMD that zkr runs while it holds something. It runs in a
// process group of its own, and zkr signals the whole group: the work
// that the lock protects includes what CMD started (sh -c 'a; b' runs a
// as its child).
type child struct {
	cmd   *exec.Cmd
	done  chan struct{}   // closed when the process has exited
	err   error           // Wait's result, valid after done
	hurry <-chan struct{} // closed: skip the grace period (a second signal to zkr)
}

// startChild starts argv with zkr's standard streams (stdin replaced when
// stdin is non-nil) and extra environment variables, as the leader of a
// new process group. On Linux CMD itself is killed if zkr dies, so it
// never outlives the session that protects it by more than the session
// timeout (what CMD started in the background is not: the kernel ties
// only CMD's life to zkr's).
func (a *app) startChild(argv []string, env []string, stdin io.Reader) (*child, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = a.stdin
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.Stdout, cmd.Stderr = a.stdout, a.stderr
	cmd.Env = append(os.Environ(), env...)
	setChildAttr(cmd)
	if err := cmd.Start(); err != nil {
		code := 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			code = 127
		}
		return nil, &exitError{code: code, err: err}
	}
	ch := &child{cmd: cmd, done: make(chan struct{}), hurry: a.hurry}
	go func() {
		ch.err = cmd.Wait()
		close(ch.done)
	}()
	return ch, nil
}

// stop sends sig to CMD's process group, waits up to grace (less if zkr
// is told to hurry) for CMD to exit, then kills whatever is left of the
// group and waits for CMD.
func (ch *child) stop(sig os.Signal, grace time.Duration) {
	select {
	case <-ch.done:
	default:
		_ = signalGroup(ch.cmd, sig)
		t := time.NewTimer(grace)
		select {
		case <-ch.done:
		case <-t.C:
		case <-ch.hurry:
		}
		t.Stop()
	}
	_ = signalGroup(ch.cmd, syscall.SIGKILL)
	<-ch.done
}

// status returns the exit status the shell would report: the exit code,
// or 128+signal when a signal ended the process.
func (ch *child) status() int {
	var ee *exec.ExitError
	if ch.err == nil {
		return 0
	}
	if errors.As(ch.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return exitFailure
}

// stopSignal is the signal to stop a child with: the one zkr received, if
// ctx was cancelled by a signal, else SIGTERM.
func stopSignal(ctx context.Context) os.Signal {
	if sig, ok := interrupted(ctx); ok {
		return sig
	}
	return syscall.SIGTERM
}

// commandArgs returns the CMD of a command line: the words after "--", or
// else the positional words after the first skip ones.
func commandArgs(p parsed, skip int) []string {
	if p.dashdash {
		return p.after
	}
	if len(p.pos) > skip {
		return p.pos[skip:]
	}
	return nil
}
