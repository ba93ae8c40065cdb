package hugepages

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a huge page on the architectures Go runs on
// with Linux that have them (x86-64, arm64 with 4 KiB pages).
const hugePage = 2 << 20

// advise asks for huge pages for every huge page that [p, p+size)
// touches, the two at its ends included, which it shares with the memory
// around it: a table of a few MiB (the live flows' chunks of 5 MiB) would
// otherwise lie on huge pages only in its middle and fault in 4 KiB at a
// time at both ends. The memory around is the Go heap's, zero until
// used, and at most a huge page at each end is given to it. Memory already
// touched keeps its pages until the kernel merges them; an error (a kernel
// without transparent huge pages) leaves the pages as they are, which is
// only slower.
func advise(p unsafe.Pointer, size uintptr) {
	start := uintptr(p) &^ (hugePage - 1)
	end := (uintptr(p) + size + hugePage - 1) &^ (hugePage - 1)
	// The range is given as numbers: a pointer to memory outside the
	// table is not a valid Go pointer.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_HUGEPAGE)
}
