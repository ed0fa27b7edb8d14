package remux_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// writeFile writes the planned fMP4 of data into f in one pass, with room
// for room fragments' index, and returns the size Close gives.
func writeFile(f remux.File, data []byte, room int, opts *remux.Options) (int64, error) {
	w, err := remux.NewFileWriter(f, room, opts)
	if err != nil {
		return 0, err
	}
	if err := w.AddAll(data); err != nil {
		w.Abort()
		return 0, err
	}
	size, _, err := w.Close(context.Background())
	return size, err
}

// clipOnePass clips data into a file that already holds prefix, with a
// FileWriter's room for room fragments, and returns what follows the
// prefix.
func clipOnePass(t *testing.T, data []byte, room int, prefix []byte) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "one.mp4")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Write(prefix)
	require.NoError(t, err)
	size, err := writeFile(f, data, room, nil)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(got, prefix), "the bytes before the clip stay")
	got = got[len(prefix):]
	require.EqualValues(t, size, len(got), "Close's size is the clip's")
	return got
}

// TestOnePass writes every input's indexed fMP4 in one pass into a file
// (FileWriter) and holds it against the planned clip, which TestFormats
// holds against the input: with room to spare it is the same file plus
// one free box before the sidx, and it decodes; with too little room Close
// falls back to writing the planned clip again and the file is exactly
// that clip.
func TestOnePass(t *testing.T) {
	for name, path := range planInputs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			twoPass := clipPlanned(t, data, remux.FormatFMP4)
			prefix := []byte("bytes before the clip")

			one := clipOnePass(t, data, 100, prefix)
			assert.Equal(t, []string{"ftyp", "moov", "free", "sidx", "moof"}, topBoxes(t, one)[:5])
			assert.Equal(t, twoPass, mediatest.WithoutBoxes(t, one, "free"), "the same clip, padded")
			p := filepath.Join(t.TempDir(), "one.mp4")
			require.NoError(t, os.WriteFile(p, one, 0o644))
			checkDecodes(t, p, name == "output-get-media-non-increasing-timecode.mkv")

			fragments := bytes.Count(twoPass, []byte("moof"))
			if fragments > 1 {
				again := clipOnePass(t, data, fragments-1, prefix)
				assert.Equal(t, twoPass, again, "too little room: written again, cut to size")
			}
			exact := clipOnePass(t, data, fragments, nil)
			assert.Equal(t, twoPass, mediatest.WithoutBoxes(t, exact, "free"))
		})
	}
}

// TestFileWriterRefuses: a pipe is an *os.File that cannot seek, and a
// FileWriter needs room for one fragment at least.
func TestFileWriterRefuses(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	_, err = remux.NewFileWriter(w, 100, nil)
	assert.Error(t, err)
	f, err := os.Create(filepath.Join(t.TempDir(), "one.mp4"))
	require.NoError(t, err)
	defer f.Close()
	_, err = remux.NewFileWriter(f, 0, nil)
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))
}

// TestOnePassAbort: Abort waits for the writes under way, so the file does
// not change after it, and every later call fails. In a synctest bubble:
// synctest.Wait returns once every goroutine the FileWriter started has
// ended or waits for something that is not coming, so a write Abort failed
// to wait for would have reached the file by then (where a sleep only
// gives it some time), and synctest.Test fails if one of them never ends.
func TestOnePassAbort(t *testing.T) {
	synctest.Test(t, testOnePassAbort)
}

func testOnePassAbort(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-high-bpyramid-aac48k-mono.getmedia.mkv"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "one.mp4")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	c, err := remux.NewFileWriter(f, 100, nil)
	require.NoError(t, err)
	r := mkv.NewBytesReader(data)
	for range 2 { // of 3: the first is written, the second held
		frag, err := r.Next()
		require.NoError(t, err)
		require.NoError(t, c.Add(frag, data[frag.Offset:frag.Offset+frag.Size]))
	}
	c.Abort()
	st, err := f.Stat()
	require.NoError(t, err)
	size := st.Size()
	assert.Positive(t, size, "the first fragments were written")
	synctest.Wait()
	st, err = f.Stat()
	require.NoError(t, err)
	assert.Equal(t, size, st.Size(), "nothing written after Abort")
	frag, err := r.Next()
	require.NoError(t, err)
	assert.Error(t, c.Add(frag, data[frag.Offset:frag.Offset+frag.Size]))
	_, _, err = c.Close(context.Background())
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))
}
