package main

import (
	"os/exec"
	"syscall"
)

// setChildAttr makes the kernel kill CMD when zkr dies (even by SIGKILL):
// a command must not keep acting on a lock or leadership whose session is
// about to expire.
func setChildAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
