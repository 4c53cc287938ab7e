//go:build !linux

package zktest

import "os/exec"

// setProcAttr is a no-op outside Linux: there is no parent-death signal, so
// a test process that dies without running Close/Main leaves its JVM behind.
func setProcAttr(cmd *exec.Cmd) {}
