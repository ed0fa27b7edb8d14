package storeread

import (
	"unsafe"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/server/internal/lru"
)

// indexCache keeps the sample indexes of recently clipped fragments, least
// recently used out first, within a byte bound. A stored fragment and its
// index never change, and clips of a stream mostly ask for its latest
// fragments again and again (a player seeking, a page re-playing a range,
// several viewers), so each index costs its round trips to the store once.
// Keys carry the stream's ARN, whose creation time makes a stream created
// again under the same name a different stream. One index may not crowd
// out many: one over a sixteenth of the bound is not kept.
type indexCache struct {
	c *lru.Cache[string, *fragindex.Index]
}

func newIndexCache(max int64) *indexCache {
	return &indexCache{c: lru.New[string, *fragindex.Index](max, 16)}
}

// IndexBytes estimates an index's memory: its samples and codec data.
func IndexBytes(x *fragindex.Index) int64 {
	n := int64(len(x.Samples))*int64(unsafe.Sizeof(fragindex.Sample{})) + 512
	if x.Header != nil {
		for _, t := range x.Header.Tracks {
			n += int64(len(t.CodecPrivate)) + 256
		}
	}
	return n
}

func (c *indexCache) get(key string) *fragindex.Index {
	x, _ := c.c.Get(key)
	return x
}

func (c *indexCache) put(key string, x *fragindex.Index) {
	c.c.Put(key, x, IndexBytes(x))
}
