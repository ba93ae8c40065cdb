//go:build linux && (amd64 || arm64)

package dataset

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing f's dirty pages to disk
// and returns without waiting for them, so that the fsync at commit finds
// little left to write. It is only a hint: errors are ignored, and the
// fsync still reports them.
func startWriteback(f *os.File) {
	c, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = c.Control(func(fd uintptr) {
		const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE
		_ = syscall.SyncFileRange(int(fd), 0, 0, syncFileRangeWrite)
	})
}
