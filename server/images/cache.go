package images

import "github.com/kvsclip/kvsclip/server/internal/lru"

// cache keeps made images, least recently used out first, within a byte
// bound. An image of a stored frame never changes, so an entry is never
// stale; it only leaves to make room, and one over an eighth of the bound
// is not kept.
type cache struct {
	c *lru.Cache[Key, []byte]
}

// entryOverhead estimates an entry's memory besides its image and frame
// name: the list element, the map slot and the key's other fields.
const entryOverhead = 256

func newCache(max int64) *cache {
	return &cache{c: lru.New[Key, []byte](max, 8)}
}

func (c *cache) get(key Key) []byte {
	img, _ := c.c.Get(key)
	return img
}

func (c *cache) put(key Key, img []byte) {
	c.c.Put(key, img, int64(len(img)+len(key.Frame))+entryOverhead)
}
