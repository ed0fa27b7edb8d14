package remux

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/mp4"
)

// TestReorderedTimes times runs of video frames, given by their
// presentation times in decoding order, one run per fragment, and checks
// what every player relies on: decode times strictly increase, no
// composition offset is negative, and decode time plus offset minus the
// one delay (the edit list) is each frame's presentation time.
func TestReorderedTimes(t *testing.T) {
	avc := func(reorder int) *codec.Track {
		return &codec.Track{Kind: codec.Video, AVC: &codec.AVCConfig{SPSInfo: codec.SPS{
			ReorderFrames: reorder, Level: 30, CodedWidth: 640, CodedHeight: 480}}}
	}
	hevc := &codec.Track{Kind: codec.Video, HEVC: &codec.HEVCConfig{SPSInfo: codec.HEVCSPS{ReorderFrames: 2}}}
	for _, tc := range []struct {
		name      string
		info      *codec.Track
		runs      [][]int64 // presentation times in decoding order, ms
		wantDelay int64     // ms
	}{
		{"no B-frames", avc(0), [][]int64{{0, 40, 80}, {120, 160}}, 0},
		{"B-frames, VUI says 1", avc(1), [][]int64{{0, 80, 40, 160, 120}, {200, 280, 240}}, 40},
		// The issue: the first GOP reorders one frame, the next two, and
		// the SPS says two.
		{"first GOP shallower than the SPS says", avc(2), [][]int64{{0, 80, 40, 160, 120}, {200, 360, 280, 240, 320}}, 80},
		// Without the VUI's word a reordering stream gets the DPB (6
		// frames of 640x480 at level 3.0), enough for any later GOP.
		{"SPS silent, stream reorders", avc(-1), [][]int64{{0, 80, 40, 160, 120}, {200, 360, 280, 240, 320}}, 240},
		{"SPS silent, no reordering", avc(-1), [][]int64{{0, 40, 80}, {120, 160}}, 0},
		{"SPS says less than the first GOP shows", avc(0), [][]int64{{0, 120, 40, 80}}, 40},
		// An open GOP: the CRA decodes before leading frames shown
		// before it.
		{"HEVC open GOP", hevc, [][]int64{{0, 160, 80, 40, 120}, {320, 200, 280, 240, 360}}, 80},
		{"a gap between fragments", avc(2), [][]int64{{0, 80, 40}, {5000, 5160, 5080, 5040, 5120}}, 80},
		{"a fragment shorter than the reorder depth", avc(2), [][]int64{{0, 80, 40}, {120}, {160, 240, 200}}, 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &track{info: tc.info, timescale: 1000}
			lastDTS := int64(-1 << 62)
			for k, pts := range tc.runs {
				r := &run{pts: pts, samples: make([]mp4.Sample, len(pts))}
				require.NoError(t, tr.decodeTimes(r))
				for i := range pts {
					off := int64(r.samples[i].CompositionOffset)
					assert.Greater(t, r.dts[i], lastDTS, "run %d frame %d: decode times increase", k, i)
					assert.GreaterOrEqual(t, off, int64(0), "run %d frame %d: composition offset", k, i)
					assert.Equal(t, pts[i], r.dts[i]+off-tr.delay, "run %d frame %d: presented at its time", k, i)
					lastDTS = r.dts[i]
				}
			}
			assert.Equal(t, tc.wantDelay, tr.delay)
		})
	}
}
