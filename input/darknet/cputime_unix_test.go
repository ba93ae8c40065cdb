//go:build unix

package darknet

import (
	"syscall"
	"time"
)

// cpuTime returns the processor time the process used so far, user and
// system, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
