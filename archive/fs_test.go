package archive_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/kvsclip/kvsclip/kvs"
)

// The Store behaviour shared with the S3 store is tested by the conformance
// suite (store_test.go); this file keeps what is particular to FS: the
// file layout and crash recovery.

var bg = context.Background()

func openWithStream(t *testing.T) (*archive.FS, string) {
	t.Helper()
	dir := t.TempDir()
	a, err := archive.Open(dir)
	require.NoError(t, err)
	require.NoError(t, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24, Created: time.Unix(1700000000, 0).UTC(), Version: "v1"}))
	return a, dir
}

// fragFiles lists a stream's frags/ directory.
func fragFiles(t testing.TB, dir string) []string {
	entries, err := os.ReadDir(filepath.Join(dir, "streams", "cam", "frags"))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestCrashLeftoversAreRemoved(t *testing.T) {
	a, dir := openWithStream(t)
	m, doc := storetest.Fragment(1, 1000, 1000)
	require.NoError(t, a.Put(bg, "cam", m, doc))
	sdir := filepath.Join(dir, "streams", "cam")
	// What a crash can leave: a fragment and an index being written, a
	// metadata update, a stream being created and one being deleted, and
	// an index committed without its fragment (a Put cut short between
	// the two renames, or retention between the two removals).
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "tmp", "frag-123"), []byte("half"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "tmp", "idx-123"), []byte("half"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "stream.json.tmp-9"), []byte("{"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "staging", "new-1", "frags"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "trash", "old-1", "frags"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "frags", "junk.txt"), nil, 0o644))
	orphan := storetest.Number(2) + ".idx"
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "frags", orphan), []byte("index"), 0o644))

	b, err := archive.Open(dir)
	require.NoError(t, err)
	got, err := b.List(bg, "cam", kvs.ServerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	assert.Equal(t, []kvs.Fragment{m}, got)
	for _, p := range []string{"tmp/frag-123", "tmp/idx-123", "stream.json.tmp-9", "frags/" + orphan} {
		assert.NoFileExists(t, filepath.Join(sdir, p))
	}
	assert.FileExists(t, filepath.Join(sdir, "frags", m.Number+".idx"), "the index of a listed fragment stays")
	assert.NoDirExists(t, filepath.Join(dir, "staging", "new-1"))
	assert.NoDirExists(t, filepath.Join(dir, "trash", "old-1"))
}

// TestPutLeavesFragmentAndIndex: after Put, frags/ holds the fragment and
// its index and tmp/ holds nothing.
func TestPutLeavesFragmentAndIndex(t *testing.T) {
	a, dir := openWithStream(t)
	m, doc := storetest.Fragment(1, 1000, 1000)
	require.NoError(t, a.Put(bg, "cam", m, doc))
	assert.Equal(t, []string{m.Number + ".idx", m.Number + "_1000_1000_" + strconv.FormatInt(m.Size, 10) + "_2000.mkv"}, fragFiles(t, dir))
	tmp, err := os.ReadDir(filepath.Join(dir, "streams", "cam", "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp)
	// A refused document leaves nothing either.
	m2, _ := storetest.Fragment(2, 2000, 2000)
	m2.Size = 3
	require.ErrorIs(t, a.Put(bg, "cam", m2, []byte("abc")), archive.ErrInvalid)
	assert.Len(t, fragFiles(t, dir), 2)
}

// TestDeleteBeforeRemovesFiles adds to the conformance suite's retention
// test: the files go, fragments and indexes, not only the index entries.
func TestDeleteBeforeRemovesFiles(t *testing.T) {
	a, dir := openWithStream(t)
	for i := range 5 {
		m, doc := storetest.Fragment(i, int64(i)*1000, int64(i)*1000)
		require.NoError(t, a.Put(bg, "cam", m, doc))
	}
	n, err := a.DeleteBefore(bg, "cam", 2500)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	got, err := a.List(bg, "cam", kvs.ServerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, storetest.Number(3), got[0].Number)
	_, err = a.Read(bg, "cam", storetest.Number(0))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	assert.Len(t, fragFiles(t, dir), 4)
}

// cancelAfter is a context that reports itself cancelled from its limit-th
// look on: a cancel that lands in the middle of a call, without timing.
type cancelAfter struct {
	context.Context
	looks atomic.Int32
	limit int32
}

func (c *cancelAfter) Err() error {
	if c.looks.Add(1) >= c.limit {
		return context.Canceled
	}
	return nil
}

// TestFSReadStopsMidDocument: a Read cancelled after its first chunk
// stops there rather than reading the rest of a large document.
func TestFSReadStopsMidDocument(t *testing.T) {
	a, dir := openWithStream(t)
	m, _ := storetest.Fragment(1, 1000, 1000)
	big := make([]byte, 5<<20)
	m.Size = int64(len(big))
	// A file of the layout, as Open finds it: large without a large Put.
	name := m.Number + "_1000_1000_" + strconv.FormatInt(m.Size, 10) + "_2000.mkv"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "streams", "cam", "frags", name), big, 0o644))
	a, err := archive.Open(dir)
	require.NoError(t, err)
	got, err := a.Read(bg, "cam", m.Number)
	require.NoError(t, err)
	require.Len(t, got, len(big))

	ctx := &cancelAfter{Context: bg, limit: 3} // the call's first look, the first chunk's, then the second's
	_, err = a.Read(ctx, "cam", m.Number)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int32(3), ctx.looks.Load(), "stopped at the second chunk")
}

// BenchmarkFSReadAt reads the first KiB (at most) of a stored fragment: what opening
// the file on every call costs next to the pread itself ("pread" reads an
// open file, as a cache of open files would).
func BenchmarkFSReadAt(b *testing.B) {
	dir := b.TempDir()
	a, err := archive.Open(dir)
	require.NoError(b, err)
	require.NoError(b, a.CreateStream(bg, archive.Stream{Name: "cam"}))
	m, doc := storetest.Fragment(1, 1000, 1000)
	require.NoError(b, a.Put(bg, "cam", m, doc))
	p := make([]byte, min(4096, len(doc)))
	b.Run("ReadAt", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			if _, err := a.ReadAt(bg, "cam", m.Number, p, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pread", func(b *testing.B) {
		f, err := os.Open(filepath.Join(dir, "streams", "cam", "frags", fragFiles(b, dir)[1]))
		require.NoError(b, err)
		defer f.Close()
		b.ReportAllocs()
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			if _, err := f.ReadAt(p, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFSLongStreamNames: names past a file name's 255 bytes, up to the
// model's 256, are created, found again after a reopen, and deleted; a
// name of 255 keeps its own directory.
func TestFSLongStreamNames(t *testing.T) {
	for _, n := range []int{245, 255, 256} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			dir := t.TempDir()
			a, err := archive.Open(dir)
			require.NoError(t, err)
			name := strings.Repeat("n", n)
			require.NoError(t, a.CreateStream(bg, archive.Stream{Name: name, RetentionHours: 1}))
			b, err := archive.Open(dir)
			require.NoError(t, err)
			st, err := b.Stream(bg, name)
			require.NoError(t, err)
			assert.Equal(t, name, st.Name)
			require.NoError(t, b.DeleteStream(bg, name))
			_, err = b.Stream(bg, name)
			assert.ErrorIs(t, err, archive.ErrStreamNotFound)
		})
	}
}
