package archive

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
)

func TestFileCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, []byte("abc"), 0o644))
	opens := 0
	open := func() (*os.File, error) { opens++; return os.Open(path) }
	closed := func(e *openFile) bool { _, err := e.f.Stat(); return err != nil }
	s := &fsStream{}
	key := func(i int) fileKey { return fileKey{s, kvs.Fragment{Number: "1", Size: int64(i)}} }
	var c fileCache

	first, err := c.acquire(key(0), open)
	require.NoError(t, err)
	again, err := c.acquire(key(0), open)
	require.NoError(t, err)
	assert.Same(t, first, again)
	assert.Equal(t, 1, opens, "the second use reads the open file")
	c.release(again)

	// More files than the bound: the least recently used go, but one in
	// use stays open until its reader releases it.
	for i := 1; i <= maxOpenFiles; i++ {
		e, err := c.acquire(key(i), open)
		require.NoError(t, err)
		c.release(e)
	}
	assert.Len(t, c.files, maxOpenFiles)
	assert.NotContains(t, c.files, key(0))
	assert.False(t, closed(first), "dropped while in use")
	c.release(first)
	assert.True(t, closed(first), "closed at its release")

	// Drop closes what no one uses, at once.
	e := c.files[key(5)]
	c.drop(func(k fileKey) bool { return k.f.Size == 5 })
	assert.NotContains(t, c.files, key(5))
	assert.True(t, closed(e))
}
