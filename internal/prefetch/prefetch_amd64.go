package prefetch

// Load asks for the cache line at p to be brought into every level of
// the cache, for a read or write soon. p need not be valid memory: a
// prefetch never faults.
func Load(p uintptr)
