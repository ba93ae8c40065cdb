// Package hugepages makes large tables whose memory the kernel may back
// with huge pages (2 MiB on x86-64) rather than 4 KiB ones. A table of
// millions of entries written in random order (the live flows of a scan,
// the last time of each address) otherwise costs a page fault every 4 KiB
// on its first touch, and in a virtual machine such faults cost more than
// the writes themselves. Linux gives huge pages to the memory a process
// asks for them (madvise MADV_HUGEPAGE) when transparent huge pages are
// "madvise" or "always"; elsewhere Make is a plain make.
//
// hugepages imports nothing of netlens.
package hugepages

import "unsafe"

// MinBytes is the size from which Make asks for huge pages: below it, the
// huge pages a table touches would hold more of other memory than of it.
const MinBytes = 4 << 20

// Make returns make([]T, n), whose memory the kernel is asked to back with
// huge pages when it is at least MinBytes. T should hold no pointer: the
// tables it is meant for are large, and the garbage collector would scan
// them.
func Make[T any](n int) []T {
	s := make([]T, n)
	var zero T
	if size := uintptr(n) * unsafe.Sizeof(zero); size >= MinBytes {
		advise(unsafe.Pointer(unsafe.SliceData(s)), size)
	}
	return s
}
