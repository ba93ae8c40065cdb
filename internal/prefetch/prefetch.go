// Package prefetch asks the processor to bring memory into its caches
// ahead of use. A table of millions of entries probed in random order (a
// scan's addresses and flows) costs a cache miss per probe; a load made
// early to warm the cache must still wait for its data before the
// processor retires it, so that only the few misses within reach of its
// reorder buffer overlap. A prefetch instruction retires at once, and the
// misses of many rows ahead overlap whatever the work between them.
//
// prefetch imports nothing of netlens.
package prefetch
