// Package lru is a map that keeps the entries used most recently within a
// bound on their total size, for the server's caches of values that never
// go stale (fragment indexes, images of stored frames): an entry leaves
// only to make room.
package lru

import (
	"container/list"
	"sync"
)

// Cache maps keys to values of a size each, least recently used out
// first. It is safe for concurrent use. A Cache with a bound of 0 or less
// keeps nothing.
type Cache[K comparable, V any] struct {
	mu    sync.Mutex
	max   int64
	share int64
	bytes int64
	order *list.List // of *entry[K, V], most recent first
	byKey map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	size int64
}

// New returns a Cache of at most maxBytes. An entry larger than
// maxBytes/share is not kept, so that one may not crowd out many.
func New[K comparable, V any](maxBytes int64, share int) *Cache[K, V] {
	return &Cache[K, V]{max: maxBytes, share: int64(max(share, 1)), order: list.New(), byKey: map[K]*list.Element{}}
}

// Get returns the value of key and marks it used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	var zero V
	if c.max <= 0 {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*entry[K, V]).val, true
}

// Put adds key's value, of size bytes, unless key is there already (a
// value never changes), and makes room for it.
func (c *Cache[K, V]) Put(key K, val V, size int64) {
	if c.max <= 0 || size > c.max/c.share {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.order.PushFront(&entry[K, V]{key: key, val: val, size: size})
	c.bytes += size
	for c.bytes > c.max {
		last := c.order.Back()
		e := last.Value.(*entry[K, V])
		c.order.Remove(last)
		delete(c.byKey, e.key)
		c.bytes -= e.size
	}
}

// Len returns the entries kept and their total size.
func (c *Cache[K, V]) Len() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}

// Max returns the bound on the total size.
func (c *Cache[K, V]) Max() int64 { return c.max }
