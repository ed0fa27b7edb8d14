package storeread

import (
	"context"
	"sync"
)

// readBudget is the memory that the payload reads of every clip in flight
// may hold at once: bytes read ahead of the writer, and the span being
// written. A clip reads ahead while it stays within its fair share (the
// total divided by the clips in flight). A clip that holds nothing may
// take its next span even over its share, once the span fits in what is
// free, so a small share never stops a clip; it still waits for others
// to release bytes when the total is taken. A span larger than the total
// is taken only when nothing is held. The server's memory for clip
// payloads is so at most the total, or one span if a span is larger.
type readBudget struct {
	mu      sync.Mutex
	total   int64
	used    int64
	active  int
	changed chan struct{} // closed and replaced whenever bytes are freed
}

func newReadBudget(total int64) *readBudget {
	return &readBudget{total: total, changed: make(chan struct{})}
}

// clipReads is one write's part of the budget.
type clipReads struct {
	b      *readBudget
	held   int64 // guarded by b.mu
	closed bool  // likewise
	// turn is the next span of the write that may acquire: spans acquire
	// in the order the writer takes them, or a later span could take the
	// share that the one the writer waits for needs, and the write would
	// stop for good. Guarded by b.mu.
	turn int
}

// join adds a clip to those sharing the budget; leave when it is done.
func (b *readBudget) join() *clipReads {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active++
	return &clipReads{b: b}
}

// acquire waits until it is span turn's turn and the clip may hold n more
// bytes, and counts them in. Whatever it returns, the turn passes to the
// next span.
func (c *clipReads) acquire(ctx context.Context, turn int, n int64) error {
	b := c.b
	for {
		b.mu.Lock()
		if c.closed {
			b.mu.Unlock()
			return context.Canceled
		}
		share := b.total / int64(max(b.active, 1))
		if turn == c.turn && (c.held == 0 && (b.used+n <= b.total || b.used == 0) || c.held+n <= share && b.used+n <= b.total) {
			b.used += n
			c.held += n
			c.turn++
			b.freed()
			b.mu.Unlock()
			return nil
		}
		wait := b.changed
		b.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			b.mu.Lock()
			if turn == c.turn {
				c.turn++
				b.freed()
			}
			b.mu.Unlock()
			return ctx.Err()
		}
	}
}

// release gives back n bytes the clip held.
func (c *clipReads) release(n int64) {
	b := c.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.closed {
		return // leave gave everything back
	}
	n = min(n, c.held)
	c.held -= n
	b.used -= n
	b.freed()
}

// leave gives back all the clip holds; a read finishing later acquires
// nothing.
func (c *clipReads) leave() {
	b := c.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	b.used -= c.held
	c.held = 0
	b.active--
	b.freed()
}

// freed wakes the clips waiting for bytes or for their turn. b.mu is held.
func (b *readBudget) freed() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// spanBuffers recycles the buffers of payload spans, by power-of-two size
// class: a clip reads its whole length through them, and allocating each
// afresh would leave the garbage collector a clip's worth of garbage per
// clip, so the heap would grow far past the budget between collections.
type spanBuffers struct {
	classes [spanClasses]sync.Pool
}

// Span buffer classes: 4 KiB << 0 … 4 KiB << 14 (64 MiB). A larger span
// (a fragment can hold 50 MB of frames) gets a buffer of its own.
const (
	spanMinShift = 12
	spanClasses  = 15
)

// spanClass is the class of a buffer of n bytes, or -1 when none fits.
func spanClass(n int64) int {
	c := 0
	for int64(1)<<(spanMinShift+c) < n {
		c++
		if c == spanClasses {
			return -1
		}
	}
	return c
}

// get returns a buffer of n bytes, of its class's capacity.
func (p *spanBuffers) get(n int64) []byte {
	c := spanClass(n)
	if c < 0 {
		return make([]byte, n)
	}
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, 1<<(spanMinShift+c))
}

// put recycles b, which nothing may use afterwards.
func (p *spanBuffers) put(b []byte) {
	c := spanClass(int64(cap(b)))
	if c < 0 || cap(b) != 1<<(spanMinShift+c) {
		return
	}
	b = b[:0]
	p.classes[c].Put(&b)
}
