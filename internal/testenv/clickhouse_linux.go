package testenv

import (
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// startTied starts cmd so that the kernel kills it (SIGKILL) when this
// process dies. Pdeathsig fires when the thread that started the child ends,
// not the process, and Go ends a thread when a goroutine locked to it exits;
// so every child is started from one goroutine locked to its thread for the
// life of the process.
func startTied(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	launcher.once.Do(func() {
		launcher.run = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for f := range launcher.run {
				f()
			}
		}()
	})
	errc := make(chan error, 1)
	launcher.run <- func() { errc <- cmd.Start() }
	return <-errc
}

var launcher struct {
	once sync.Once
	run  chan func()
}

// holdLock creates the file at path and locks it for as long as this process
// lives (or until the file is closed): chRemoveStaleDirs leaves its directory
// alone. The file is locked before it takes its name, so no other process
// sees it unlocked.
func holdLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".new", os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.Rename(path+".new", path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// abandoned reports whether the lock file at path exists and no process holds
// it: the process that made it died.
func abandoned(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
