//go:build !linux

package hugepages

import "unsafe"

// advise does nothing where huge pages are not asked for.
func advise(unsafe.Pointer, uintptr) {}
