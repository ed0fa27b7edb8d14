package media

import "sync"

// conns counts the GetMedia connections open on each stream.
type conns struct {
	mu sync.Mutex
	n  map[string]int
}

// take opens a connection slot on the stream; false when max are open.
func (c *conns) take(stream string, max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	if c.n[stream] >= max {
		return false
	}
	c.n[stream]++
	return true
}

// release closes a slot that take opened.
func (c *conns) release(stream string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[stream]--; c.n[stream] <= 0 {
		delete(c.n, stream)
	}
}
