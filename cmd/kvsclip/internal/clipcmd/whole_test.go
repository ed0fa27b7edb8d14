//go:build unix

package clipcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/dedup"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/remux"
)

// TestClipWholeAgreesWithSelection: a file clipped to a file takes the
// overlapped path (reading.clip), a file clipped to stdout the selecting one
// (read everything, select, write in two passes). The clips are the same
// but for the free box of the one-pass layout — also when the speculation
// fails (the same recording twice: the second copy is dropped, and the
// clip is made again).
func TestClipWholeAgreesWithSelection(t *testing.T) {
	cases := map[string][]string{
		"fixture":       {fixture},
		"fixture twice": {fixture, fixture},
		"two inputs":    {fixture, filepath.Join("..", "..", "..", "..", "testdata", "h264-main-aac44k-stereo.getmedia.mkv")},
	}
	// Without the recordings only this subtest skips (fails under CI).
	t.Run("recordings", func(t *testing.T) {
		shared := mediatest.SharedDir(t)
		getMedia := filepath.Join(shared, "getmedia", "output_get_media.mkv")
		cases["getmedia"] = []string{getMedia}
		cases["gap"] = []string{filepath.Join(shared, "getmedia", "output-get-media-non-increasing-timecode.mkv")}
		cases["twice"] = []string{getMedia, getMedia}
		cases["renderer demo"] = []string{filepath.Join(shared, "getmedia", "kinesis_video_renderer_example_output.mkv")}
	})
	for name, ins := range cases {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "clip.mp4")
			code, _, stderr := runCLI(nil, append([]string{"clip", "-o", out}, ins...)...)
			require.Equal(t, 0, code, stderr)
			code, viaStdout, stderr := runCLI(nil, append([]string{"clip"}, ins...)...)
			require.Equal(t, 0, code, stderr)
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, []byte(viaStdout), mediatest.WithoutBoxes(t, got, "free"))
			st, err := os.Stat(out)
			require.NoError(t, err)
			assert.EqualValues(t, len(got), st.Size(), "preallocated room cut off")
		})
	}
}

// TestIndexRoom: the guess is generous for fragments of one size and
// bounded by what a sidx holds.
func TestIndexRoom(t *testing.T) {
	for _, tc := range []struct {
		total, first int64
		want         int
	}{
		{100, 10, 36},
		{105, 10, 38},
		{10, 10, 18},
		{0, 10, 16},
		{10, 0, 36},
		{1 << 40, 1, 1<<16 - 1},
	} {
		assert.Equal(t, tc.want, indexRoom(tc.total, tc.first), "%d / %d", tc.total, tc.first)
	}
}

// TestEveryInOrder is the speculation's test of a selection.
func TestEveryInOrder(t *testing.T) {
	assert.True(t, everyInOrder(dedup.Selection{Chosen: []int{0, 1, 2}}, 3))
	assert.True(t, everyInOrder(dedup.Selection{}, 0))
	assert.False(t, everyInOrder(dedup.Selection{Chosen: []int{0, 2, 1}}, 3), "reordered")
	assert.False(t, everyInOrder(dedup.Selection{Chosen: []int{0, 1}}, 3), "one left out")
	assert.False(t, everyInOrder(dedup.Selection{Chosen: []int{0, 1, 2}, Dropped: []dedup.Drop{{Index: 3}}}, 3), "one dropped")
}

// TestClipWholeTruncatedInput: a mapped input cut short before it is read
// faults where it is read, which reports it as an error.
func TestClipWholeTruncatedInput(t *testing.T) {
	data, err := os.ReadFile(fixture)
	require.NoError(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, "in.mkv")
	require.NoError(t, os.WriteFile(path, bytes.Repeat(data, 4), 0o644))
	in, err := openInput(path, nil)
	require.NoError(t, err)
	defer in.close()
	require.NoError(t, os.Truncate(path, 0))

	out, err := os.Create(filepath.Join(dir, "out.mp4"))
	require.NoError(t, err)
	defer out.Close()
	newWriter := func(room int) (*remux.FileWriter, error) {
		return remux.NewFileWriter(out, room, nil)
	}
	rd := startReading([]*input{in}, &remux.ClipOptions{Planned: true})
	func() {
		// As Run runs it: the fragments are read and clipped here.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer recoverFault(&err)
		_, _, _, err = rd.clip(newWriter, out)
	}()
	rd.wait()
	require.Error(t, err)
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))
	assert.Contains(t, err.Error(), "changed while it was read")
}

// TestClipWholeBadFragment: a malformed third fragment stops the clip with
// the error the selecting path gives, naming the fragment and the offset,
// though the clip of the first fragments had begun; nothing is left.
func TestClipWholeBadFragment(t *testing.T) {
	data, err := os.ReadFile(fixture)
	require.NoError(t, err)
	third := 0
	for i := 0; i < 3; i++ {
		third += bytes.Index(data[third+1:], []byte{0x1f, 0x43, 0xb6, 0x75}) + 1 // a Cluster ID
	}
	bad := bytes.Clone(data)
	copy(bad[third+12:], bytes.Repeat([]byte{0xff}, 8)) // an element of unknown size in it
	dir := t.TempDir()
	in, out := filepath.Join(dir, "bad.mkv"), filepath.Join(dir, "x.mp4")
	require.NoError(t, os.WriteFile(in, bad, 0o644))
	code, _, toFile := runCLI(nil, "clip", "-o", out, in)
	assert.Equal(t, 1, code)
	assert.Contains(t, toFile, "InvalidMediaFrame")
	assert.Contains(t, toFile, "fragment #2")
	code, _, toStdout := runCLI(nil, "clip", in)
	assert.Equal(t, 1, code)
	assert.Equal(t, toStdout, toFile, "the selecting path's error")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no output, no temporary file")
}

// TestClipWholeRoomTooSmall: when the guess of the index room falls short,
// Close writes the clip a second time; the file is the same.
func TestClipWholeRoomTooSmall(t *testing.T) {
	defer func(g func(int64, int64) int) { guessIndexRoom = g }(guessIndexRoom)
	guessIndexRoom = func(int64, int64) int { return 1 }
	out := filepath.Join(t.TempDir(), "clip.mp4")
	code, _, stderr := runCLI(nil, "clip", "-o", out, fixture)
	require.Equal(t, 0, code, stderr)
	_, viaStdout, _ := runCLI(nil, "clip", fixture)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, []byte(viaStdout), got, "no free box: the two-pass layout")
}

// TestClipOutputMode: the clip gets the mode any new file gets (0666 less
// the umask), not the owner-only mode of a temporary file.
func TestClipOutputMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	out := filepath.Join(t.TempDir(), "clip.mp4")
	code, _, stderr := runCLI(nil, "clip", "-o", out, fixture)
	require.Equal(t, 0, code, stderr)
	st, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}

// TestClipToDeviceOrPipe: -o naming a device or a named pipe writes to it,
// where renaming a finished file into place would replace the node.
func TestClipToDeviceOrPipe(t *testing.T) {
	code, _, stderr := runCLI(nil, "clip", fixture, "-o", os.DevNull)
	require.Equal(t, 0, code, stderr)
	st, err := os.Stat(os.DevNull)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&os.ModeCharDevice, "%s is still a device", os.DevNull)

	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	code, _, stderr = runCLI(nil, "clip", fixture, "-o", fifo)
	require.Equal(t, 0, code, stderr)
	_, viaStdout, _ := runCLI(nil, "clip", fixture)
	assert.Equal(t, viaStdout, string(<-got))
	st, err = os.Stat(fifo)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&os.ModeNamedPipe, "still a pipe")
}

// TestClipReplacesExistingOutput: -o naming an existing file replaces it
// with the clip a fresh -o writes, on the one-pass path (fMP4) and the
// planned one (progressive MP4), with the preallocated room cut off: the
// file holds no more blocks than its bytes need.
func TestClipReplacesExistingOutput(t *testing.T) {
	for _, format := range []string{"fmp4", "mp4"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			fresh, existing := filepath.Join(dir, "fresh.mp4"), filepath.Join(dir, "existing.mp4")
			code, _, stderr := runCLI(nil, "clip", "--format", format, "-o", fresh, fixture)
			require.Equal(t, 0, code, stderr)
			want, err := os.ReadFile(fresh)
			require.NoError(t, err)
			// Longer than the clip, so that a clip written into it in
			// place would show the old tail.
			require.NoError(t, os.WriteFile(existing, bytes.Repeat([]byte{0xAB}, 3*len(want)), 0o644))

			code, _, stderr = runCLI(nil, "clip", "--format", format, "-o", existing, fixture)
			require.Equal(t, 0, code, stderr)
			got, err := os.ReadFile(existing)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			var st syscall.Stat_t
			require.NoError(t, syscall.Stat(existing, &st))
			assert.LessOrEqual(t, st.Blocks*512, (int64(len(got))+st.Blksize-1)/st.Blksize*st.Blksize,
				"blocks allocated beyond the clip's bytes")
			parts, _ := filepath.Glob(filepath.Join(dir, ".*.part"))
			assert.Empty(t, parts)
			msg, ok := mediatest.Decode(t, existing)
			require.True(t, ok, msg)
			assert.Empty(t, msg)
		})
	}
}
