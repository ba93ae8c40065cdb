package web

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestCacheBounds: answers are dropped, least recently used first, beyond
// the number of entries and beyond the budget of cells; the newest stays.
func TestCacheBounds(t *testing.T) {
	ctx := context.Background()
	c := newCache(3, 100, func(n int64) int64 { return n })
	var runs atomic.Int32
	get := func(key string, cost int64) {
		t.Helper()
		if _, err := c.get(ctx, ctx, key, func(context.Context) (int64, error) { runs.Add(1); return cost, nil }); err != nil {
			t.Fatal(err)
		}
	}
	has := func(key string) bool { c.mu.Lock(); defer c.mu.Unlock(); _, ok := c.entries[key]; return ok }
	get("a", 10)
	get("b", 10)
	get("c", 10)
	get("a", 10) // a is now the most recent
	get("d", 10) // four entries: b goes
	if !has("a") || has("b") || !has("c") || !has("d") || runs.Load() != 4 {
		t.Errorf("after a, b, c, a, d: a %v b %v c %v d %v, %d runs", has("a"), has("b"), has("c"), has("d"), runs.Load())
	}
	get("e", 75) // 10 + 10 + 10 + 75 > 100: the oldest (c) goes
	if has("c") || !has("a") || !has("d") || !has("e") || c.spent != 95 {
		t.Errorf("after e: a %v c %v d %v e %v, spent %d", has("a"), has("c"), has("d"), has("e"), c.spent)
	}
	get("f", 500) // over budget alone: kept, the rest dropped
	if !has("f") || has("d") || has("e") {
		t.Errorf("after f: d %v e %v f %v", has("d"), has("e"), has("f"))
	}
}

// TestCacheWaiters: work asked for twice runs once; it goes on while one
// request still waits, and stops when the last has gone.
func TestCacheWaiters(t *testing.T) {
	base := context.Background()
	c := newCache(10, 1000, func(int) int64 { return 1 })
	release := make(chan struct{})
	stopped := make(chan error, 1)
	var runs atomic.Int32
	work := func(ctx context.Context) (int, error) {
		runs.Add(1)
		select {
		case <-release:
			return 42, nil
		case <-ctx.Done():
			stopped <- ctx.Err()
			return 0, ctx.Err()
		}
	}
	ctx1, cancel1 := context.WithCancel(base)
	ctx2, cancel2 := context.WithCancel(base)
	defer cancel2()
	got := make(chan int, 2)
	go func() { v, _ := c.get(ctx1, base, "k", work); got <- v }()
	go func() { v, _ := c.get(ctx2, base, "k", work); got <- v }()
	time.Sleep(50 * time.Millisecond)
	cancel1()
	if v := <-got; v != 0 {
		t.Errorf("the request that went away got %d", v)
	}
	select {
	case err := <-stopped:
		t.Fatalf("work stopped (%v) while a request still waits", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if v := <-got; v != 42 || runs.Load() != 1 {
		t.Errorf("got %d after %d runs, want 42 after 1", v, runs.Load())
	}

	// The last request gone, the work stops and is not kept.
	ctx3, cancel3 := context.WithCancel(base)
	release = make(chan struct{})
	done := make(chan error, 1)
	go func() { _, err := c.get(ctx3, base, "other", work); done <- err }()
	time.Sleep(50 * time.Millisecond)
	cancel3()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("request: %v", err)
	}
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("work stopped with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("work goes on with nobody waiting")
	}
}
