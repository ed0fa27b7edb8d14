package clipio

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReleaser: pages are released only writesLag fragments behind the
// one just added, and a release batch at a time; the mapping reads the
// same bytes after every page was dropped; Close returns whether or not
// the goroutine ever ran.
func TestReleaser(t *testing.T) {
	want := bytes.Repeat([]byte("kvsclip!"), 5<<20) // 40 MiB
	path := filepath.Join(t.TempDir(), "in.mkv")
	require.NoError(t, os.WriteFile(path, want, 0o644))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	data, unmap, err := MapFile(f, func(int64) error { return nil })
	require.NoError(t, err)
	if data == nil {
		t.Skip("no mappings on this platform")
	}
	defer unmap()

	const frag = 2 << 20
	r := NewReleaser(data)
	for i := range int64(len(want) / frag) {
		r.Added(i * frag)
		if i <= writesLag {
			assert.Zero(t, r.sent, "nothing released before the lag")
		}
		assert.LessOrEqual(t, r.sent, max(i-writesLag, 0)*frag, "fragment %d", i)
	}
	assert.Positive(t, r.sent)
	r.All()
	r.Close()
	assert.Equal(t, want, data, "dropped pages fault back in")

	idle := NewReleaser(data)
	idle.Close()
	assert.False(t, idle.running)
}
