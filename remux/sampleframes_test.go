package remux_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/kvsfixture"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// toAnnexB rewrites a 4-byte-length AVCC frame with 4-byte start codes, as a
// producer that skipped the SDK's NAL adaptation would send it.
func toAnnexB(frame []byte) []byte {
	out := append([]byte{}, frame...)
	for pos := 0; pos+4 <= len(out); {
		n := int(binary.BigEndian.Uint32(out[pos:]))
		copy(out[pos:], []byte{0, 0, 0, 1})
		pos += 4 + n
	}
	return out
}

// avcCToAnnexB lists the parameter sets of an avcC behind start codes.
func avcCToAnnexB(rec []byte) []byte {
	var out []byte
	pos := 5
	for _, countMask := range []byte{0x1F, 0xFF} {
		count := int(rec[pos] & countMask)
		pos++
		for i := 0; i < count; i++ {
			n := int(binary.BigEndian.Uint16(rec[pos:]))
			out = append(append(out, 0, 0, 0, 1), rec[pos+2:pos+2+n]...)
			pos += 2 + n
		}
	}
	return out
}

// TestSampleFrames wraps the producer SDK's sample frames (H.264 Annex-B and
// raw AAC) into KVS fragments with the mkv writer — a fragment per GOP, AWS
// tags, avcC from the in-band SPS/PPS — and clips them, with the frames as
// KVS stores them (AVCC) and as an Annex-B producer would send them.
func TestSampleFrames(t *testing.T) {
	shared := mediatest.SharedDir(t)
	for _, annexB := range []bool{false, true} {
		name := "avcc"
		if annexB {
			name = "annexb"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel() // waits on ffmpeg and ffprobe; reads its own fragments
			frags, err := kvsfixture.SampleFragments(shared, true)
			require.NoError(t, err)
			if annexB {
				h := *frags[0].Header
				h.Tracks = append([]mkv.Track{}, h.Tracks...)
				h.Tracks[0].CodecPrivate = avcCToAnnexB(h.Tracks[0].CodecPrivate)
				for _, f := range frags {
					f.Header = &h
					for i := range f.Blocks {
						if f.Blocks[i].Track == 1 {
							f.Blocks[i].Data = toAnnexB(f.Blocks[i].Data)
						}
					}
				}
			}
			var in bytes.Buffer
			w := mkv.NewWriter(&in, nil)
			for _, f := range frags {
				require.NoError(t, w.WriteFragment(f))
			}
			require.NoError(t, w.Close())

			var out bytes.Buffer
			man, err := remux.Clip(&out, bytes.NewReader(in.Bytes()), nil)
			require.NoError(t, err)
			require.Len(t, man.Fragments, len(frags))
			assert.Equal(t, kvsfixture.FragmentNumber(0), man.Fragments[0].Number)
			require.Len(t, man.Tracks, 2)
			assert.Equal(t, kvsfixture.VideoFrames, man.Tracks[0].Samples)

			path := filepath.Join(t.TempDir(), "sample.mp4")
			require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
			checkDecodes(t, path, false)
			// The same size either way: 4-byte start codes become 4-byte lengths.
			checkPackets(t, path, expectSamples(t, in.Bytes()))
		})
	}
}
