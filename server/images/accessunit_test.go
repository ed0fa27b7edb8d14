package images

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/mkv"
)

// firstKeyFrame returns a committed recording's video track and the bytes
// of its first key frame.
func firstKeyFrame(t testing.TB, file string) (*codec.Track, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", file))
	require.NoError(t, err)
	f, err := mkv.NewBytesReader(raw).Next()
	require.NoError(t, err)
	vt := imageTrack(f.Header)
	require.NoError(t, vt.err)
	for _, b := range f.Blocks {
		if b.Track == vt.number && b.Keyframe {
			return vt.track, b.Data
		}
	}
	t.Fatal("no key frame")
	return nil, nil
}

func TestAnnexBAccessUnit(t *testing.T) {
	for _, c := range []struct {
		file       string
		paramSets  int
		firstParam byte // the NAL header byte of the first parameter set
	}{
		{"h264-aac-160x120.getmedia.mkv", 2, 0x67},                  // SPS, PPS
		{"hevc-main10-174x142-aac16k-stereo.getmedia.mkv", 3, 0x40}, // VPS, SPS, PPS
	} {
		t.Run(c.file, func(t *testing.T) {
			tr, frame := firstKeyFrame(t, c.file)
			au, err := annexBAccessUnit(tr, frame)
			require.NoError(t, err)
			nals := bytes.Split(au, []byte{0, 0, 0, 1})
			require.Empty(t, nals[0], "starts with a start code")
			assert.Equal(t, c.firstParam, nals[1][0])
			// Parameter sets, then the frame's NAL units: the frame's
			// bytes less their 4-byte lengths, plus a start code each.
			var frameBytes int
			for _, n := range nals[1+c.paramSets:] {
				frameBytes += len(n)
			}
			assert.Equal(t, len(frame)-4*(len(nals)-1-c.paramSets), frameBytes)
		})
	}
	tr, frame := firstKeyFrame(t, "h264-aac-160x120.getmedia.mkv")
	_, err := annexBAccessUnit(tr, frame[:len(frame)-1])
	require.Error(t, err, "a cut frame")
	_, err = annexBAccessUnit(&codec.Track{SampleEntry: "mp4a"}, frame)
	require.Error(t, err)
}

func TestKeyFrameAt(t *testing.T) {
	x := &fragindex.Index{Header: &mkv.Header{TimecodeScale: 1e6}, Timecode: 1000, Samples: []fragindex.Sample{
		{Track: 1, Time: 1064, Flags: fragindex.Keyframe},
		{Track: 2, Time: 1000, Flags: fragindex.Keyframe},
		{Track: 1, Time: 1500},
		{Track: 1, Time: 2000, Flags: fragindex.Keyframe},
		{Track: 2, Time: 2600, Flags: fragindex.Keyframe},
		{Track: 1, Time: 2500},
	}}
	// A fragment whose video opens without a key frame.
	y := &fragindex.Index{Header: &mkv.Header{TimecodeScale: 1e6}, Timecode: 0, Samples: []fragindex.Sample{
		{Track: 1, Time: 10},
		{Track: 1, Time: 500, Flags: fragindex.Keyframe},
	}}
	for _, c := range []struct {
		x      *fragindex.Index
		offset int64
		want   int
	}{
		{x, 0, 0}, {x, 64, 0}, {x, 999, 0}, {x, 1000, 3}, {x, 5000, 3},
		{y, 0, -1}, {y, 499, -1}, {y, 500, 1},
	} {
		assert.Equal(t, c.want, keyFrameAt(c.x, 1, c.offset), "offset %d", c.offset)
	}
}

func BenchmarkAnnexBAccessUnit(b *testing.B) {
	tr, frame := firstKeyFrame(b, "h264-aac-160x120.getmedia.mkv")
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := annexBAccessUnit(tr, frame); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzAnnexBAccessUnit: any stored frame bytes make an access unit of the
// parameter sets and the frame's NAL units, or an error; never a panic.
func FuzzAnnexBAccessUnit(f *testing.F) {
	tr, frame := firstKeyFrame(f, "h264-aac-160x120.getmedia.mkv")
	f.Add(frame)
	f.Add(frame[:len(frame)/2])
	f.Add([]byte{0, 0, 0, 1, 0x65})
	f.Add([]byte{0, 0, 1, 0x65, 0x88})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		au, err := annexBAccessUnit(tr, b)
		if err != nil {
			return
		}
		// Each NAL unit keeps its bytes and gains at most a 4-byte start code.
		params := 0
		for _, p := range append(tr.AVC.SPS, tr.AVC.PPS...) {
			params += 4 + len(p)
		}
		require.LessOrEqual(t, len(au), params+4*len(b)+4)
		require.True(t, len(au) > params || len(b) == 0)
	})
}
