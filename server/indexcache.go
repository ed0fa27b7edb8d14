package server

import (
	"container/list"
	"sync"
	"unsafe"

	"github.com/kvsclip/kvsclip/fragindex"
)

// indexCache keeps the sample indexes of recently clipped fragments, least
// recently used out first, within a byte bound. A stored fragment and its
// index never change, and clips of a stream mostly ask for its latest
// fragments again and again (a player seeking, a page re-playing a range,
// several viewers), so each index costs its round trips to the store once.
// Keys carry the stream's ARN, whose creation time makes a stream created
// again under the same name a different stream.
type indexCache struct {
	mu    sync.Mutex
	max   int64
	bytes int64
	order *list.List // of *indexEntry, most recent first
	byKey map[string]*list.Element
}

type indexEntry struct {
	key  string
	x    *fragindex.Index
	size int64
}

func newIndexCache(max int64) *indexCache {
	return &indexCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// indexBytes estimates an index's memory: its samples and codec data.
func indexBytes(x *fragindex.Index) int64 {
	n := int64(len(x.Samples))*int64(unsafe.Sizeof(fragindex.Sample{})) + 512
	if x.Header != nil {
		for _, t := range x.Header.Tracks {
			n += int64(len(t.CodecPrivate)) + 256
		}
	}
	return n
}

func (c *indexCache) get(key string) *fragindex.Index {
	if c.max <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*indexEntry).x
}

func (c *indexCache) put(key string, x *fragindex.Index) {
	size := indexBytes(x)
	if c.max <= 0 || size > c.max/16 {
		return // one index may not crowd out many
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.order.PushFront(&indexEntry{key: key, x: x, size: size})
	c.bytes += size
	for c.bytes > c.max {
		last := c.order.Back()
		e := last.Value.(*indexEntry)
		c.order.Remove(last)
		delete(c.byKey, e.key)
		c.bytes -= e.size
	}
}
