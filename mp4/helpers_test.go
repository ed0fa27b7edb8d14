package mp4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/Eyevinn/mp4ff/avc"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/internal/mediatest"
)

const (
	h264FrameCount = 403 // frame-001 … frame-403
	h264GOP        = 45  // an IDR every 45 frames
	aacFrameCount  = 582 // sample-001 … sample-582
	aacFrameLength = 1024
	aacSampleRate  = 48000
)

// ascStereo48k is the AudioSpecificConfig of the AAC sample frames: AAC-LC,
// 48 kHz, 2 channels.
var ascStereo48k = []byte{0x11, 0x90}

// sampleFrame reads one of the producer SDK's raw sample frames from the
// shared recordings (frames/<dir>/<name>, see their PROVENANCE.md). Without
// them the test skips, or fails under CI (mediatest.SharedDir).
func sampleFrame(tb testing.TB, dir, name string) []byte {
	tb.Helper()
	return mediatest.SharedFile(tb, filepath.Join("frames", dir, name))
}

// splitAnnexB returns the NAL units of an Annex-B byte stream (3- or 4-byte
// start codes).
func splitAnnexB(b []byte) [][]byte {
	var nalus [][]byte
	start := -1
	for i := 0; i+2 < len(b); {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				if end > start && b[end-1] == 0 {
					end-- // the zero_byte of a 4-byte start code
				}
				nalus = append(nalus, b[start:end])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		nalus = append(nalus, b[start:])
	}
	return nalus
}

// annexBToAVCC rewrites an Annex-B access unit with 4-byte NAL lengths, the
// form KVS stores and the avcC declares.
func annexBToAVCC(b []byte) []byte {
	var out []byte
	for _, n := range splitAnnexB(b) {
		out = binary.BigEndian.AppendUint32(out, uint32(len(n)))
		out = append(out, n...)
	}
	return out
}

type h264Media struct {
	track  *codec.Track
	frames [][]byte // AVCC
	sync   []bool
}

// loadH264 reads the first n sample frames and builds the codec.Track a
// parser would: parameter sets from frame 1, avcC from them.
func loadH264(tb testing.TB, n int) h264Media {
	tb.Helper()
	var m h264Media
	for i := 1; i <= n; i++ {
		raw := sampleFrame(tb, "h264SampleFrames", fmt.Sprintf("frame-%03d.h264", i))
		if i == 1 {
			spss, ppss := avc.GetParameterSetsFromByteStream(raw)
			require.NotEmpty(tb, spss)
			require.NotEmpty(tb, ppss)
			// Trusted, committed test data: the short (no full VUI) SPS
			// parse is only used to read the picture size.
			sps, err := avc.ParseSPSNALUnit(spss[0], false)
			require.NoError(tb, err)
			rec, err := avc.CreateAVCDecConfRec(spss, ppss, true)
			require.NoError(tb, err)
			var buf bytes.Buffer
			require.NoError(tb, rec.Encode(&buf))
			m.track = &codec.Track{
				Kind: codec.Video, SampleEntry: "avc1", CodecID: "V_MPEG4/ISO/AVC",
				Width: uint16(sps.Width), Height: uint16(sps.Height),
				AVC: &codec.AVCConfig{
					Profile: rec.AVCProfileIndication, Compatibility: rec.ProfileCompatibility,
					Level: rec.AVCLevelIndication, LengthSize: 0,
					SPS: spss, PPS: ppss, Record: buf.Bytes(),
				},
			}
		}
		m.frames = append(m.frames, annexBToAVCC(raw))
		m.sync = append(m.sync, (i-1)%h264GOP == 0)
	}
	return m
}

func aacTrack() *codec.Track {
	return &codec.Track{
		Kind: codec.Audio, SampleEntry: "mp4a", CodecID: "A_AAC",
		SampleRate: aacSampleRate, Channels: 2, FrameLength: aacFrameLength,
		AAC: &codec.AACConfig{ObjectType: 2, Config: ascStereo48k},
	}
}

func loadAAC(tb testing.TB, n int) [][]byte {
	tb.Helper()
	var frames [][]byte
	for i := 1; i <= n; i++ {
		frames = append(frames, sampleFrame(tb, "aacSampleFrames", fmt.Sprintf("sample-%03d.aac", i)))
	}
	return frames
}

// boxAt returns type and size of the box starting at b[0].
func boxAt(b []byte) (string, int) {
	return string(b[4:8]), int(binary.BigEndian.Uint32(b))
}

// topLevelBoxes lists the top-level boxes of an MP4 as "type size".
func topLevelBoxes(b []byte) []string {
	var out []string
	for len(b) >= 8 {
		typ, size := boxAt(b)
		out = append(out, fmt.Sprintf("%s %d", typ, size))
		if size < 8 || size > len(b) {
			break
		}
		b = b[size:]
	}
	return out
}
