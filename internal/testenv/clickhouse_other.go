//go:build !linux

package testenv

import (
	"os"
	"os/exec"
)

// startTied starts cmd. Only Linux can have a child killed when its parent
// dies; elsewhere Main alone stops the servers.
func startTied(cmd *exec.Cmd) error { return cmd.Start() }

// holdLock creates the file at path; without Linux's flock it locks nothing.
func holdLock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
}

// abandoned reports false: without a lock, no directory is known abandoned.
func abandoned(string) bool { return false }
