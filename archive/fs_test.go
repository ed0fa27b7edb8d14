package archive

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Store behaviour shared with the S3 store is tested by the conformance
// suite (store_test.go); this file keeps what is particular to FS: the
// file layout and crash recovery.

func number(i int) string { return fmt.Sprintf("91343852333%036d", i) }

func frag(i int, producer, server int64) (Fragment, []byte) {
	doc := []byte(fmt.Sprintf("fragment %d", i))
	return Fragment{Number: number(i), ProducerMillis: producer, ServerMillis: server, Size: int64(len(doc)), DurationMillis: 2000}, doc
}

func openWithStream(t *testing.T) (*FS, string) {
	t.Helper()
	dir := t.TempDir()
	a, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, a.CreateStream(Stream{Name: "cam", RetentionHours: 24, Created: time.Unix(1700000000, 0).UTC(), Version: "v1"}))
	return a, dir
}

func TestCrashLeftoversAreRemoved(t *testing.T) {
	a, dir := openWithStream(t)
	m, doc := frag(1, 1000, 1000)
	require.NoError(t, a.Put("cam", m, doc))
	sdir := filepath.Join(dir, "streams", "cam")
	// What a crash can leave: a fragment being written, a metadata update,
	// a stream being created and one being deleted.
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "tmp", "frag-123"), []byte("half"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "stream.json.tmp-9"), []byte("{"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "staging", "new-1", "frags"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "trash", "old-1", "frags"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "frags", "junk.txt"), nil, 0o644))

	b, err := Open(dir)
	require.NoError(t, err)
	got, err := b.List("cam", ByServer, 0, 1<<62)
	require.NoError(t, err)
	assert.Equal(t, []Fragment{m}, got)
	for _, p := range []string{"tmp/frag-123", "stream.json.tmp-9"} {
		assert.NoFileExists(t, filepath.Join(sdir, p))
	}
	assert.NoDirExists(t, filepath.Join(dir, "staging", "new-1"))
	assert.NoDirExists(t, filepath.Join(dir, "trash", "old-1"))
}

// TestDeleteBeforeRemovesFiles adds to the conformance suite's retention
// test: the files go, not only the index entries.
func TestDeleteBeforeRemovesFiles(t *testing.T) {
	a, dir := openWithStream(t)
	for i := range 5 {
		m, doc := frag(i, int64(i)*1000, int64(i)*1000)
		require.NoError(t, a.Put("cam", m, doc))
	}
	n, err := a.DeleteBefore("cam", 2500)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	got, err := a.List("cam", ByServer, 0, 1<<62)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, number(3), got[0].Number)
	_, err = a.Read("cam", number(0))
	assert.ErrorIs(t, err, ErrFragmentNotFound)
	files, err := os.ReadDir(filepath.Join(dir, "streams", "cam", "frags"))
	require.NoError(t, err)
	assert.Len(t, files, 2)
}

func TestFileNameRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{number(7) + "_-5_10_3_2000.mkv", true},
		{number(7) + "_1_2_3.mkv", false},
		{number(7) + "_1_2_-3_4.mkv", false},
		{"x_1_2_3_4.mkv", false},
		{number(7) + "_1_2_3_4.tmp", false},
	} {
		f, ok := parseFragmentFileName(c.name)
		assert.Equal(t, c.ok, ok, c.name)
		if ok {
			assert.Equal(t, c.name, fragmentFileName(f))
		}
	}
}
