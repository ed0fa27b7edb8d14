package storeread

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kvsclip/kvsclip/fragindex"
)

func TestIndexCache(t *testing.T) {
	one := &fragindex.Index{Samples: make([]fragindex.Sample, 100)}
	size := IndexBytes(one)
	c := newIndexCache(20 * size)
	for i := range 20 {
		c.put(fmt.Sprint(i), one)
	}
	assert.NotNil(t, c.get("0"), "all 20 fit")
	c.put("20", one) // evicts the least recently used: 1, since 0 was just used
	assert.Nil(t, c.get("1"))
	assert.NotNil(t, c.get("0"))
	assert.NotNil(t, c.get("20"))
	_, bytes := c.c.Len()
	assert.LessOrEqual(t, bytes, c.c.Max())

	big := &fragindex.Index{Samples: make([]fragindex.Sample, 1000)}
	c.put("big", big)
	assert.Nil(t, c.get("big"), "an index over a sixteenth of the cache is not kept")

	off := newIndexCache(-1)
	off.put("0", one)
	assert.Nil(t, off.get("0"))
}
