//go:build linux

package zktest

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill the JVM when the test process dies, so
// that no orphaned servers remain after a crash, a panic or a test timeout.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
