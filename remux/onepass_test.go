package remux_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvserr"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// clipOnePass clips data into a file that already holds prefix, with
// Options.IndexRoom room, and returns what follows the prefix.
func clipOnePass(t *testing.T, data []byte, room int, prefix []byte) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "one.mp4")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Write(prefix)
	require.NoError(t, err)
	c := remux.NewClipper(f, &remux.Options{Planned: true, IndexRoom: room})
	require.NoError(t, c.AddAll(mkv.NewBytesReader(data)))
	size, err := c.Plan()
	require.NoError(t, err)
	err = c.WriteRange(0, size)
	assert.Equal(t, kvserr.InvalidArgument, kvserr.KindOf(err), "a clip written in one pass has no second pass")
	_, err = c.Close()
	require.NoError(t, err)
	require.NoError(t, f.Close())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(got, prefix), "the bytes before the clip stay")
	got = got[len(prefix):]
	require.EqualValues(t, size, len(got), "Plan's size is the clip's")
	return got
}

// TestOnePass writes every input's indexed fMP4 in one pass into a file
// (Options.IndexRoom) and holds it against the two-pass clip, which
// TestFormats holds against the input: with room to spare it is the same
// file plus one free box before the sidx, and it decodes; with too little
// room Close falls back to the second pass and the file is exactly the
// two-pass clip; a destination that is not a file gets two passes.
func TestOnePass(t *testing.T) {
	for name, path := range planInputs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			twoPass := clipPlanned(t, data, &remux.Options{Planned: true})
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

			notFile := clipPlanned(t, data, &remux.Options{Planned: true, IndexRoom: 100})
			assert.Equal(t, twoPass, notFile)
		})
	}
}

// A pipe is an *os.File that cannot seek: the clip takes two passes.
func TestOnePassNeedsSeek(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-high-bpyramid-aac48k-mono.getmedia.mkv"))
	require.NoError(t, err)
	twoPass := clipPlanned(t, data, &remux.Options{Planned: true})
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		got <- b
	}()
	c := remux.NewClipper(w, &remux.Options{Planned: true, IndexRoom: 100})
	require.NoError(t, c.AddAll(mkv.NewBytesReader(data)))
	_, err = c.Close()
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.Equal(t, twoPass, <-got)
}

// TestOnePassAbort: Abort waits for the writes under way, so the file does
// not change after it, and every later call fails.
func TestOnePassAbort(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-high-bpyramid-aac48k-mono.getmedia.mkv"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "one.mp4")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	c := remux.NewClipper(f, &remux.Options{Planned: true, IndexRoom: 100})
	r := mkv.NewBytesReader(data)
	for range 2 { // of 3: the first is written, the second held
		frag, err := r.Next()
		require.NoError(t, err)
		require.NoError(t, c.Add(frag))
	}
	c.Abort()
	st, err := f.Stat()
	require.NoError(t, err)
	size := st.Size()
	assert.Positive(t, size, "the first fragments were written")
	time.Sleep(20 * time.Millisecond)
	st, err = f.Stat()
	require.NoError(t, err)
	assert.Equal(t, size, st.Size(), "nothing written after Abort")
	frag, err := r.Next()
	require.NoError(t, err)
	assert.Error(t, c.Add(frag))
	_, err = c.Close()
	assert.Equal(t, kvserr.InvalidArgument, kvserr.KindOf(err))
}
