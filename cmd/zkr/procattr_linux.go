package main

import (
	"os"
	"os/exec"
	"syscall"
)

// setChildAttr puts CMD in a process group of its own (so that zkr can
// signal everything CMD started, and a signal to zkr's group reaches CMD
// only through zkr) and makes the kernel kill CMD when zkr dies (even by
// SIGKILL): a command must not keep acting on a lock or leadership whose
// session is about to expire.
func setChildAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to CMD's process group.
func signalGroup(cmd *exec.Cmd, sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return cmd.Process.Signal(sig)
	}
	return syscall.Kill(-cmd.Process.Pid, s)
}
