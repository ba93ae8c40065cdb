//go:build unix

package input

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// openStreamFile opens the stream at path without blocking (a FIFO
// without a writer would block the open). Standard input is opened again
// through /dev/stdin, so that the non-blocking mode is this file's own and
// not that of the descriptor the shell handed over; where that cannot be
// done (a socket), a copy of the descriptor is read as it is.
func openStreamFile(path string) (*os.File, error) {
	if path == Stdin {
		if term.IsTerminal(0) {
			return nil, errors.New("standard input is a terminal: pipe a capture into it (tcpdump -w - | netlens ingest - ...)")
		}
		f, err := os.OpenFile("/dev/stdin", os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return f, nil
		}
		fd, err := syscall.Dup(0)
		if err != nil {
			return nil, fmt.Errorf("open standard input: %w", err)
		}
		syscall.CloseOnExec(fd)
		return os.NewFile(uintptr(fd), "standard input"), nil
	}
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// readable reports whether fd has bytes to read, or has ended (a writer
// came and went), without waiting.
func readable(fd uintptr) bool {
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(p, 0)
	return err != nil || n > 0
}
