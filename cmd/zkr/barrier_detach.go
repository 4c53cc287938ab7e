package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
)

// A double-barrier member is an ephemeral node: it lives as long as the
// session that created it, so "enter" and "leave" from two shell commands
// need a process that keeps the session in between. "barrier enter
// --detach" starts one (zkr itself, in a session of its own), returns once
// it has entered, and "barrier leave" asks it, over a Unix socket named
// after the servers, namespace, path and --id, to leave and report.

// envDetached tells a re-executed zkr to be the detached member, and where
// its socket goes; file descriptor 3 carries its report of the entry.
const envDetached = "ZKR_BARRIER_DETACHED_SOCKET"

// memberSocket is the socket of this machine's detached member of path.
func (a *app) memberSocket(path, id string) (string, error) {
	servers, err := a.serverList()
	if err != nil {
		return "", err
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "zkr-"+strconv.Itoa(os.Getuid()))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(strings.Join(servers, ",") + "\x00" + a.namespace + "\x00" + path + "\x00" + id))
	return filepath.Join(dir, "zkr-barrier-"+hex.EncodeToString(h[:10])+".sock"), nil
}

// reply is the one-line protocol of entry reports and leave answers:
// "<exit code> <message>".
func reply(err error, ok string) string {
	if err == nil {
		return "0 " + ok + "\n"
	}
	return fmt.Sprintf("%d %s\n", exitCode(context.Background(), err), strings.ReplaceAll(friendly(err), "\n", " "))
}

func parseReply(line string) error {
	code, msg, _ := strings.Cut(strings.TrimSpace(line), " ")
	n, err := strconv.Atoi(code)
	switch {
	case err != nil:
		return fmt.Errorf("the detached member gave no answer (%q)", line)
	case n == 0:
		return nil
	}
	return &exitError{code: n, err: errors.New(msg)}
}

// barrierDetach starts the detached member and waits for its entry.
func (a *app) barrierDetach(ctx context.Context, path string, o enterFlags) error {
	sock, err := a.memberSocket(path, o.id)
	if err != nil {
		return err
	}
	if nc, err := net.Dial("unix", sock); err == nil {
		nc.Close()
		return fmt.Errorf("a detached member of %s (id %q) is already running here; 'zkr barrier leave' it first", path, o.id)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command(exe, a.argv...)
	cmd.Env = append(os.Environ(), envDetached+"="+sock)
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no terminal, no signals of ours
	err = cmd.Start()
	w.Close()
	if err != nil {
		return err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
	}()
	var got string
	select {
	case got = <-line:
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM) // it gives up entering and deletes its node
		got = <-line
	}
	go func() { _ = cmd.Wait() }() // reaps it if it ends before we do
	if err := parseReply(got); err != nil {
		return err
	}
	a.logf("entered %s: all %d members are here; 'zkr barrier leave %s' leaves (member pid %d)", path, o.members, path, cmd.Process.Pid)
	return nil
}

// barrierMember is the detached member: it enters d, reports on fd 3,
// then waits for "leave" on its socket, or for the end of its session.
func (a *app) barrierMember(ctx context.Context, c *zkrecipes.Client, d *barrier.Double, path, sock string, o enterFlags) error {
	report := os.NewFile(3, "report")
	ectx, cancel := withOptionalTimeout(ctx, o.timeout)
	err := d.Enter(ectx)
	cancel()
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = timeoutf("fewer than %d members entered %s within %v", o.members, path, o.timeout)
	}
	if err != nil {
		fmt.Fprint(report, reply(err, ""))
		report.Close()
		return err
	}
	sess := c.Session()
	_ = os.Remove(sock) // a stale socket of a member that died
	l, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprint(report, reply(err, ""))
		report.Close()
		lctx, lcancel := cleanupCtx(ctx)
		defer lcancel()
		_ = d.Leave(lctx)
		return err
	}
	defer os.Remove(sock)
	fmt.Fprint(report, reply(nil, "entered"))
	report.Close()
	go func() {
		select {
		case <-sess.Done(): // our member node is gone: nothing left to leave
		case <-ctx.Done():
		}
		l.Close()
	}()
	for {
		nc, err := l.Accept()
		if err != nil {
			lctx, lcancel := cleanupCtx(ctx)
			defer lcancel()
			_ = d.Leave(lctx)
			return err
		}
		req, _ := bufio.NewReader(nc).ReadString('\n')
		if strings.TrimSpace(req) != "leave" {
			nc.Close()
			continue
		}
		err = d.Leave(ctx)
		fmt.Fprint(nc, reply(err, "left"))
		nc.Close()
		return err
	}
}

// barrierLeave asks this machine's detached member of path to leave, and
// waits until every member of its round has left.
func (a *app) barrierLeave(ctx context.Context, p parsed, id string) error {
	if err := wantArgs("barrier leave", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	if err := validPath(path, false); err != nil {
		return err
	}
	sock, err := a.memberSocket(path, id)
	if err != nil {
		return err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return fmt.Errorf("no detached member of %s (id %q) on this machine: start one with 'zkr barrier enter --detach', with the same servers, namespace and --id", path, id)
	}
	defer nc.Close()
	if _, err := fmt.Fprint(nc, "leave\n"); err != nil {
		return err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(nc).ReadString('\n')
		line <- s
	}()
	select {
	case got := <-line:
		if err := parseReply(got); err != nil {
			return err
		}
		a.logf("left %s: all members are done", path)
		return nil
	case <-ctx.Done():
		return ctx.Err() // the member goes on leaving
	}
}
