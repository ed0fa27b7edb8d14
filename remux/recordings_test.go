package remux_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// recording is a real KVS file from shared/testdata/kvs and what its clip
// must hold.
type recording struct {
	path      string
	fragments int      // fragments in the clip
	samples   []int    // per output track
	wantKind  kvs.Kind // non-zero: the clip must fail with this kind
	// gap is set for the recording whose producer restarted: 5.5 s pass
	// between its first and second fragment. The clip keeps the gap, and
	// ffmpeg's null muxer, which re-times frames at a frame rate it guesses
	// from the first seconds, reports colliding output timestamps there;
	// with the encoder on the file's own time base (-enc_time_base -1) nothing
	// is reported, so the frames and their timestamps are sound.
	gap bool
}

var recordings = []recording{
	{path: "getmedia/output_get_media.mkv", fragments: 5, samples: []int{300}},
	{path: "getmedia/kinesis_video_renderer_example_output.mkv", fragments: 8, samples: []int{444}},
	{path: "getmedia/output-get-media-non-increasing-timecode.mkv", fragments: 12, samples: []int{358}, gap: true},
	{path: "producer/clusters.mkv", fragments: 8, samples: []int{444}},
	{path: "producer/test-stream-1_0.mkv", fragments: 37, samples: []int{1640}},
	{path: "producer/vogels_480.mkv", fragments: 9, samples: []int{909, 1425}},
	{path: "getmedia/test_mixed_tags.mkv", wantKind: kvs.UnsupportedStreamMediaType},
	{path: "getmedia/empty-mkv-with-tags.mkv", wantKind: kvs.ResourceNotFound},
	{path: "producer/test_tags_empty_cluster.mkv", wantKind: kvs.ResourceNotFound},
	// Made by testdata/gen from ffmpeg's test sources (make testdata).
	{path: "local:h264-aac-160x120.getmedia.mkv", fragments: 5, samples: []int{100, 189}},
}

// expectedSample is what the input says about one frame.
type expectedSample struct {
	size  int
	ptsNs int64 // on the clip's time line
}

// expectSamples reads the input independently of the clipper and lists each
// track's frames with their times, placed as the spec says: by the
// producer timestamp tag, else the cluster time.
func expectSamples(t *testing.T, data []byte) map[uint64][]expectedSample {
	r := mkv.NewBytesReader(data)
	out := map[uint64][]expectedSample{}
	origin, first := int64(0), true
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		scale := int64(f.Header.TimecodeScale)
		start := f.Timecode * scale
		if f.Tags.HasProducerTimestamp {
			start = f.Tags.ProducerTimestamp * 1e6
		}
		if first && len(f.Blocks) > 0 {
			origin, first = start, false
			for _, b := range f.Blocks {
				origin = min(origin, start+(b.Time-f.Timecode)*scale)
			}
		}
		for _, b := range f.Blocks {
			out[b.Track] = append(out[b.Track], expectedSample{len(b.Data), start + (b.Time-f.Timecode)*scale - origin})
		}
	}
	return out
}

func TestRecordings(t *testing.T) {
	dir := mediatest.SharedDir(t)
	for _, rec := range recordings {
		t.Run(filepath.Base(rec.path), func(t *testing.T) {
			t.Parallel() // waits on ffmpeg and ffprobe; shares nothing
			path := filepath.Join(dir, rec.path)
			if local, ok := strings.CutPrefix(rec.path, "local:"); ok {
				path = filepath.Join("..", "testdata", local)
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			out, man, ok := clipOrFail(t, data, rec.wantKind)
			if !ok {
				return
			}
			assert.Equal(t, rec.fragments, included(man))
			require.Len(t, man.Tracks, len(rec.samples))
			for i, n := range rec.samples {
				assert.Equal(t, n, man.Tracks[i].Samples, "track %d", i+1)
			}

			outPath := filepath.Join(t.TempDir(), "out.mp4")
			require.NoError(t, os.WriteFile(outPath, out.Bytes(), 0o644))
			checkDecodes(t, outPath, rec.gap)
			checkPackets(t, outPath, expectSamples(t, data))
		})
	}
}

// TestRecordingGapClosed: with GapsClose, the recording whose producer
// restarted plays as one contiguous timeline, which ffmpeg's null muxer
// accepts without a word (compare checkDecodes).
func TestRecordingGapClosed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(mediatest.SharedDir(t), "getmedia", "output-get-media-non-increasing-timecode.mkv"))
	require.NoError(t, err)
	var out bytes.Buffer
	man, err := remux.Clip(&out, bytes.NewReader(data), &remux.ClipOptions{Options: remux.Options{Gaps: remux.GapsClose}})
	require.NoError(t, err)
	require.Len(t, man.Gaps, 1)
	g := man.Gaps[0]
	assert.Equal(t, "91343852338381293673923423239754896920603583280", g.AfterFragment)
	assert.True(t, g.Closed)
	// The first fragment starts at 1517530105.907 and lasts about 1 s; the
	// second starts at 1517530112.387.
	assert.InDelta(t, 1.0, g.At, 0.05)
	assert.InDelta(t, 5.48, g.Duration, 0.05)
	assert.Equal(t, 358, man.Tracks[0].Samples)
	closed := man.Tracks[0].Duration

	path := filepath.Join(t.TempDir(), "out.mp4")
	require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
	msg, ok := mediatest.Decode(t, path)
	require.True(t, ok, msg)
	assert.Empty(t, msg, "ffmpeg printed messages")

	// Kept, the same gap is listed too.
	man, err = remux.Clip(io.Discard, bytes.NewReader(data), nil)
	require.NoError(t, err)
	require.Len(t, man.Gaps, 1)
	assert.False(t, man.Gaps[0].Closed)
	assert.InDelta(t, 5.48, man.Gaps[0].Duration, 0.05)
	assert.InDelta(t, man.Tracks[0].Duration-man.Gaps[0].Duration, closed, 0.002, "closed, the clip is the gap shorter")
}

// checkDecodes runs the decoder oracle.
func checkDecodes(t *testing.T, path string, gap bool) {
	msg, ok := mediatest.Decode(t, path)
	require.True(t, ok, msg)
	if gap {
		for _, line := range strings.Split(strings.TrimSpace(msg), "\n") {
			if line != "" {
				assert.Contains(t, line, "[null @", "only the null muxer may speak: %s", line)
				assert.Contains(t, line, "non monotonically increasing dts to muxer")
			}
		}
		msg, ok = mediatest.Decode(t, path, "-enc_time_base", "-1")
		require.True(t, ok, msg)
	}
	assert.Empty(t, msg, "ffmpeg printed messages")
}

// checkPackets compares ffprobe's packets with the input's frames: every
// frame, in order, with its size and its presentation time, and decode times
// strictly increasing.
func checkPackets(t *testing.T, path string, want map[uint64][]expectedSample) {
	t.Helper()
	checkShiftedPackets(t, path, want, 0)
}

// clipOrFail clips data with the default options. With wantKind set it
// checks that the clip fails with that kind and reports ok false;
// otherwise it requires success.
func clipOrFail(t *testing.T, data []byte, wantKind kvs.Kind) (out *bytes.Buffer, man *remux.Manifest, ok bool) {
	t.Helper()
	out = new(bytes.Buffer)
	man, err := remux.Clip(out, bytes.NewReader(data), nil)
	if wantKind != kvs.Unknown {
		require.Error(t, err)
		assert.Equal(t, wantKind, kvs.KindOf(err), "%v", err)
		return out, man, false
	}
	require.NoError(t, err)
	return out, man, true
}

// included counts the fragments in the clip.
func included(man *remux.Manifest) int {
	n := 0
	for _, f := range man.Fragments {
		if f.Included {
			n++
		}
	}
	return n
}
