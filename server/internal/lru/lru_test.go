package lru

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCache(t *testing.T) {
	c := New[string, int](20*10, 16)
	for i := range 20 {
		c.Put(strconv.Itoa(i), i, 10)
	}
	v, ok := c.Get("0")
	assert.True(t, ok, "all 20 fit")
	assert.Equal(t, 0, v)
	c.Put("20", 20, 10) // evicts the least recently used: 1, since 0 was just used
	_, ok = c.Get("1")
	assert.False(t, ok)
	_, ok = c.Get("0")
	assert.True(t, ok)
	n, size := c.Len()
	assert.Equal(t, 20, n)
	assert.Equal(t, int64(200), size)

	c.Put("0", 99, 10) // a key is kept once, its value unchanged
	v, _ = c.Get("0")
	assert.Equal(t, 0, v)

	c.Put("big", 1, 13) // over a sixteenth of the bound
	_, ok = c.Get("big")
	assert.False(t, ok)

	off := New[string, int](-1, 1)
	off.Put("0", 0, 1)
	_, ok = off.Get("0")
	assert.False(t, ok)
}
