//go:build !amd64

package prefetch

// Load does nothing where no prefetch instruction is used: the memory
// is loaded when it is used.
func Load(p uintptr) {}
