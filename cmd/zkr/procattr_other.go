//go:build !linux

package main

import (
	"os"
	"os/exec"
	"syscall"
)

// setChildAttr puts CMD in a process group of its own; only Linux can
// also tie CMD's life to zkr's.
func setChildAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to CMD's process group.
func signalGroup(cmd *exec.Cmd, sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return cmd.Process.Signal(sig)
	}
	return syscall.Kill(-cmd.Process.Pid, s)
}
