package codec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
)

func TestParseTrack(t *testing.T) {
	for _, tc := range allTrackCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ParseTrack(tc.codecID, tc.private, tc.hint)
			if tc.err != kvs.Unknown {
				require.Error(t, err)
				assert.Nil(t, tr)
				var ke *kvs.Error
				require.ErrorAs(t, err, &ke)
				assert.Equal(t, tc.err, ke.Kind, "%v", err)
				assert.Equal(t, int64(-1), ke.Offset)
				assert.Empty(t, ke.Fragment)
				assert.Zero(t, ke.Track)
				assert.NotEmpty(t, ke.Msg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.codec, tr.SampleEntry)
			assert.Equal(t, tc.codecID, tr.CodecID)
			switch tc.codec {
			case "avc1":
				assert.Equal(t, Video, tr.Kind)
				assert.Equal(t, tc.width, tr.Width)
				assert.Equal(t, tc.height, tr.Height)
				require.NotNil(t, tr.AVC)
				assert.Nil(t, tr.AAC)
				assert.Equal(t, tc.profile, tr.AVC.Profile)
				assert.Equal(t, tc.lengthSize, tr.AVC.LengthSize)
				assert.Len(t, tr.AVC.SPS, tc.numSPS)
				assert.Len(t, tr.AVC.PPS, tc.numPPS)
				assert.Equal(t, tc.reorder, tr.AVC.SPSInfo.ReorderFrames)
				checkRecord(t, tr.AVC)
			case "hvc1", "hev1":
				assert.Equal(t, Video, tr.Kind)
				assert.Equal(t, tc.width, tr.Width)
				assert.Equal(t, tc.height, tr.Height)
				require.NotNil(t, tr.HEVC)
				assert.Nil(t, tr.AVC)
				assert.Equal(t, tc.profile, tr.HEVC.ProfileIDC)
				assert.Equal(t, tc.bitDepth, tr.HEVC.BitDepthLuma)
				assert.Equal(t, tc.lengthSize, tr.HEVC.LengthSize)
				assert.Len(t, tr.HEVC.SPS, tc.numSPS)
				assert.Len(t, tr.HEVC.PPS, tc.numPPS)
				assert.Equal(t, tc.codec == "hev1", tr.HEVC.InBand)
				assert.Equal(t, tc.codec, tr.HEVC.sampleEntry())
				assert.Equal(t, tc.reorder, tr.HEVC.SPSInfo.ReorderFrames)
				checkHEVCRecord(t, tr.HEVC)
			case "alaw", "ulaw":
				assert.Equal(t, Audio, tr.Kind)
				assert.Equal(t, tc.sampleRate, tr.SampleRate)
				assert.Equal(t, tc.channels, tr.Channels)
				assert.Zero(t, tr.FrameLength)
				require.NotNil(t, tr.G711)
				assert.Equal(t, tc.channels, tr.G711.Channels)
				assert.Nil(t, tr.AAC)
			case "mp4a":
				assert.Equal(t, Audio, tr.Kind)
				assert.Equal(t, tc.sampleRate, tr.SampleRate)
				assert.Equal(t, tc.channels, tr.Channels)
				assert.Equal(t, tc.frameLength, tr.FrameLength)
				require.NotNil(t, tr.AAC)
				assert.Equal(t, tc.private, tr.AAC.Config)
			}
		})
	}
}

// checkRecord asserts the invariants of a written avcC: canonical header
// bits, 4-byte lengths, parameter sets that point into it, and that reading
// it back gives the same configuration (ParseTrack is idempotent on its
// output).
func checkRecord(t *testing.T, c *AVCConfig) {
	t.Helper()
	rec := c.Record
	require.GreaterOrEqual(t, len(rec), 7)
	assert.Equal(t, byte(1), rec[0])
	assert.Equal(t, []byte{c.Profile, c.Compatibility, c.Level}, rec[1:4])
	assert.Equal(t, byte(0xFF), rec[4])
	assert.Equal(t, byte(0xE0|len(c.SPS)), rec[5])
	again, err := ParseTrack(CodecIDAVC, rec, Hint{})
	require.NoError(t, err)
	assert.Equal(t, rec, again.AVC.Record)
	assert.Equal(t, 4, again.AVC.LengthSize)
	assert.Equal(t, c.SPS, again.AVC.SPS)
	assert.Equal(t, c.PPS, again.AVC.PPS)
	assert.Equal(t, c.SPSExt, again.AVC.SPSExt)
	assert.Equal(t, c.SPSInfo, again.AVC.SPSInfo)
}

// TestRecordDoesNotAlias makes sure the Track owns its bytes: the Matroska
// reader hands out sub-slices of a buffer it may reuse.
func TestRecordDoesNotAlias(t *testing.T) {
	in := craftedAVC(base1080)
	tr, err := ParseTrack(CodecIDAVC, in, Hint{})
	require.NoError(t, err)
	want := append([]byte(nil), tr.AVC.Record...)
	for i := range in {
		in[i] = 0
	}
	assert.Equal(t, want, tr.AVC.Record)

	asc := []byte{0x11, 0x90}
	tr, err = ParseTrack(CodecIDAAC, asc, Hint{})
	require.NoError(t, err)
	asc[0] = 0
	assert.Equal(t, []byte{0x11, 0x90}, tr.AAC.Config)
}

// TestRealRecordsCanonical: the SDK writes canonical records, and a
// Baseline record comes back byte for byte; records with cleared reserved
// bits come back with them set.
func TestRealRecordsCanonical(t *testing.T) {
	r := sharedRecordings(t)
	tr, err := ParseTrack(CodecIDAVC, r.sdk, Hint{})
	require.NoError(t, err)
	assert.Equal(t, r.sdk, tr.AVC.Record)

	tr, err = ParseTrack(CodecIDAVC, r.getMedia, Hint{})
	require.NoError(t, err)
	want := withByte(withByte(r.getMedia, 4, 0xFF), 5, 0xE1)
	assert.Equal(t, want, tr.AVC.Record)
}

func TestParseSPSFacts(t *testing.T) {
	tr, err := ParseTrack(CodecIDAVC, craftedAVC(with(base1080, func(s *spsSpec) { s.profile = 110 })), Hint{})
	require.NoError(t, err)
	s := tr.AVC.SPSInfo
	assert.Equal(t, SPS{
		Profile: 110, Level: 40, ChromaFormat: 1, BitDepthLuma: 10, BitDepthChroma: 10,
		MaxRefFrames: 1, FrameMBsOnly: true, CodedWidth: 1920, CodedHeight: 1088,
		Width: 1920, Height: 1080, ReorderFrames: 2,
	}, s)
	// The 10-bit depth is carried into the High-profile trailer.
	rec := tr.AVC.Record
	assert.Equal(t, []byte{0xFD, 0xFA, 0xFA, 0}, rec[len(rec)-4:])
}

func TestUnescapeRBSP(t *testing.T) {
	for _, tc := range []struct{ in, want []byte }{
		{[]byte{1, 2, 3}, []byte{1, 2, 3}},
		{[]byte{0, 0, 3, 1}, []byte{0, 0, 1}},
		{[]byte{0, 0, 3, 0, 0, 3}, []byte{0, 0, 0, 0}},
		{[]byte{0, 0, 3, 0, 3}, []byte{0, 0, 0, 3}},
		{[]byte{5, 0, 0, 3}, []byte{5, 0, 0}},
	} {
		assert.Equal(t, tc.want, unescapeRBSP(tc.in), "%x", tc.in)
	}
}

func TestBitReaderExpGolomb(t *testing.T) {
	// 31 leading zeros: the largest value H.264 allows, 2^32-2.
	r := bitReader{buf: []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe}}
	assert.Equal(t, uint32(1<<32-2), r.ue())
	assert.False(t, r.over)
	// 32 leading zeros: refused.
	r = bitReader{buf: []byte{0, 0, 0, 0, 0x80, 0, 0, 0, 0}}
	r.ue()
	assert.True(t, r.over)
	// Prefix runs off the end.
	r = bitReader{buf: []byte{0}}
	assert.Zero(t, r.ue())
	assert.True(t, r.over)
	// se mapping.
	r = bitReader{buf: []byte{0b01001100, 0b10000000}} // 010 011 00100 -> +1, -1, +2
	assert.Equal(t, int64(1), r.se())
	assert.Equal(t, int64(-1), r.se())
	assert.Equal(t, int64(2), r.se())
	assert.False(t, r.over)
}

func kindOf(err error) kvs.Kind { return kvs.KindOf(err) }

// TestMaxDpbFrames: the decoded picture buffer by level and picture size,
// at most 16 frames.
func TestMaxDpbFrames(t *testing.T) {
	for _, tc := range []struct {
		name          string
		level         byte
		width, height int
		want          int
	}{
		{"1080p at 4.0", 40, 1920, 1088, 4},
		{"720p at 3.1", 31, 1280, 720, 5},
		{"480p at 3.0", 30, 640, 480, 6},
		{"small picture, capped", 40, 128, 96, 16},
		{"too large for its level", 10, 1920, 1088, 1},
		{"unknown level", 7, 640, 480, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := SPS{Level: tc.level, CodedWidth: tc.width, CodedHeight: tc.height}
			assert.Equal(t, tc.want, s.MaxDpbFrames())
		})
	}
}
