package hugepages

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a huge page on the architectures Go runs on
// with Linux that have them (x86-64, arm64 with 4 KiB pages).
const hugePage = 2 << 20

// advise asks for huge pages for the whole huge pages inside [p, p+size).
// Memory already touched keeps its pages until the kernel merges them; an
// error (a kernel without transparent huge pages) leaves the pages as
// they are, which is only slower.
func advise(p unsafe.Pointer, size uintptr) {
	start := (uintptr(p) + hugePage - 1) &^ (hugePage - 1)
	end := (uintptr(p) + size) &^ (hugePage - 1)
	if end <= start {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start)
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
}
