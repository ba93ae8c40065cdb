package web

import (
	"container/list"
	"context"
	"sync"
)

// cache keeps the answers of work by key, the least recently used dropped
// first when there are more than max of them or their cost (cells of
// tables) adds up to more than budget, and runs the work of a key once for every request that asks for it
// meanwhile. Work runs on its own context, which ends when every request
// waiting for it has gone (its client closed the connection): the engine
// then stops the query. Failed work is not kept.
type cache[V any] struct {
	mu      sync.Mutex
	max     int
	budget  int64
	cost    func(V) int64
	spent   int64
	entries map[string]*entry[V]
	lru     *list.List // of keys, most recent first; done entries only
}

type entry[V any] struct {
	done    chan struct{} // closed when v and err are set
	v       V
	err     error
	waiters int
	cancel  context.CancelFunc
	elem    *list.Element
	cost    int64
}

func newCache[V any](max int, budget int64, cost func(V) int64) *cache[V] {
	return &cache[V]{max: max, budget: budget, cost: cost, entries: map[string]*entry[V]{}, lru: list.New()}
}

// get returns the answer of key, running work under base when no request
// has asked for it yet. It returns ctx's error when ctx ends first.
func (c *cache[V]) get(ctx, base context.Context, key string, work func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && e.elem != nil {
		c.lru.MoveToFront(e.elem)
	}
	if !ok {
		wctx, cancel := context.WithCancel(base)
		e = &entry[V]{done: make(chan struct{}), cancel: cancel}
		c.entries[key] = e
		go c.run(wctx, key, e, work)
	}
	e.waiters++
	c.mu.Unlock()

	select {
	case <-e.done:
		c.mu.Lock()
		e.waiters--
		c.mu.Unlock()
		return e.v, e.err
	case <-ctx.Done():
		c.mu.Lock()
		e.waiters--
		select {
		case <-e.done:
		default:
			if e.waiters == 0 {
				e.cancel()
				if c.entries[key] == e {
					delete(c.entries, key)
				}
			}
		}
		c.mu.Unlock()
		var zero V
		return zero, ctx.Err()
	}
}

func (c *cache[V]) run(ctx context.Context, key string, e *entry[V], work func(context.Context) (V, error)) {
	v, err := work(ctx)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	e.cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	e.v, e.err = v, err
	close(e.done)
	if c.entries[key] != e {
		return // given up by every request
	}
	if err != nil {
		delete(c.entries, key)
		return
	}
	e.elem = c.lru.PushFront(key)
	e.cost = c.cost(v)
	c.spent += e.cost
	// The newest answer stays, whatever its cost: it is being handed out.
	for c.lru.Len() > 1 && (c.lru.Len() > c.max || c.spent > c.budget) {
		old := c.lru.Remove(c.lru.Back()).(string)
		c.spent -= c.entries[old].cost
		delete(c.entries, old)
	}
}
