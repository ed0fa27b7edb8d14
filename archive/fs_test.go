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

func TestStreamLifecycle(t *testing.T) {
	a, dir := openWithStream(t)
	assert.ErrorIs(t, a.CreateStream(Stream{Name: "cam"}), ErrStreamExists)
	for _, bad := range []string{"", ".", "..", "a/b", "sp ace"} {
		assert.ErrorIs(t, a.CreateStream(Stream{Name: bad}), ErrInvalid, bad)
	}
	require.NoError(t, a.UpdateStream("cam", func(s *Stream) error { s.RetentionHours = 48; s.Version = "v2"; return nil }))
	assert.ErrorIs(t, a.UpdateStream("cam", func(*Stream) error { return ErrInvalid }), ErrInvalid)

	b, err := Open(dir)
	require.NoError(t, err)
	s, err := b.Stream("cam")
	require.NoError(t, err)
	assert.Equal(t, int32(48), s.RetentionHours)
	assert.Equal(t, "v2", s.Version)

	require.NoError(t, b.DeleteStream("cam"))
	_, err = b.Stream("cam")
	assert.ErrorIs(t, err, ErrStreamNotFound)
	assert.ErrorIs(t, b.DeleteStream("cam"), ErrStreamNotFound)
	list, err := b.Streams()
	require.NoError(t, err)
	assert.Empty(t, list)
	c, err := Open(dir)
	require.NoError(t, err)
	_, err = c.Stream("cam")
	assert.ErrorIs(t, err, ErrStreamNotFound)
}

func TestPutListRead(t *testing.T) {
	a, dir := openWithStream(t)
	// Producer timestamps out of ingestion order, as a producer restart makes them.
	times := [][2]int64{{1000, 5000}, {3000, 6000}, {2000, 7000}, {4000, 8000}}
	for i, ts := range times {
		m, doc := frag(i, ts[0], ts[1])
		require.NoError(t, a.Put("cam", m, doc))
	}
	for _, c := range []struct {
		name       string
		kind       TimestampKind
		start, end int64
		want       []int
	}{
		{"producer inclusive", ByProducer, 2000, 3000, []int{1, 2}},
		{"producer all", ByProducer, 0, 1 << 62, []int{0, 1, 2, 3}},
		{"server inclusive", ByServer, 6000, 7000, []int{1, 2}},
		{"server none", ByServer, 9000, 10000, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := a.List("cam", c.kind, c.start, c.end)
			require.NoError(t, err)
			var idx []int
			for _, f := range got {
				for i := range times {
					if f.Number == number(i) {
						idx = append(idx, i)
					}
				}
			}
			assert.Equal(t, c.want, idx)
		})
	}
	doc, err := a.Read("cam", number(2))
	require.NoError(t, err)
	assert.Equal(t, "fragment 2", string(doc))
	_, err = a.Read("cam", number(9))
	assert.ErrorIs(t, err, ErrFragmentNotFound)
	_, err = a.Read("nope", number(1))
	assert.ErrorIs(t, err, ErrStreamNotFound)

	// The index comes back from the file names alone.
	b, err := Open(dir)
	require.NoError(t, err)
	got, err := b.List("cam", ByProducer, 0, 1<<62)
	require.NoError(t, err)
	require.Len(t, got, 4)
	m, _ := frag(3, 4000, 8000)
	assert.Equal(t, m, got[3])
}

func TestPutRefusesInconsistentMeta(t *testing.T) {
	a, _ := openWithStream(t)
	m, doc := frag(1, 1, 1)
	m.Size++
	assert.ErrorIs(t, a.Put("cam", m, doc), ErrInvalid)
	m, doc = frag(1, 1, 1)
	m.Number = "12a"
	assert.ErrorIs(t, a.Put("cam", m, doc), ErrInvalid)
	m, doc = frag(1, 1, 1)
	assert.ErrorIs(t, a.Put("other", m, doc), ErrStreamNotFound)
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

func TestDeleteBefore(t *testing.T) {
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
