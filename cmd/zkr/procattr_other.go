//go:build !linux

package main

import "os/exec"

// setChildAttr: only Linux can tie a child's life to its parent's.
func setChildAttr(cmd *exec.Cmd) {}
