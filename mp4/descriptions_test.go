package mp4

import (
	"bytes"
	"io"
	"testing"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
)

// hevcTrack parses an hvcC made by ffmpeg/libx265 (Main, 176x144; the
// same bytes as the codec package's table).
func hevcTrack(t testing.TB) *codec.Track {
	tr, err := codec.ParseTrack(codec.CodecIDHEVC, mustHex("0101600000009000000000003cf000fcfdf8f800000f03200001001840010c01ffff01600000030090000003000003003c959409210001002a42010101600000030090000003000003003ca0162024596565924caf016808000003000800000300c84022000100074401c172b46240"), codec.Hint{})
	require.NoError(t, err)
	return tr
}

func g711Track(t testing.TB, rate uint32) *codec.Track {
	b := []byte{6, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}
	b[4], b[5], b[6] = byte(rate), byte(rate>>8), byte(rate>>16)
	tr, err := codec.ParseTrack(codec.CodecIDACM, b, codec.Hint{})
	require.NoError(t, err)
	return tr
}

func TestNewWriterErrorsNewCodecs(t *testing.T) {
	hv := hevcTrack(t)
	hev1 := *hv
	hev1.SampleEntry = "hev1"
	noSize := *hv
	noSize.Width = 0
	hevcNoRec := *hv
	hevcNoRec.HEVC = &codec.HEVCConfig{}
	alaw96 := g711Track(t, 96000)
	noG711 := *g711Track(t, 8000)
	noG711.G711 = nil
	aac := syntheticTracks()[1].Codec
	tests := []struct {
		name   string
		tracks []Track
		kind   kvs.Kind
		cause  error
	}{
		{"hvc1 record says hvc1, entry hev1", []Track{{ID: 1, Timescale: 90000, Codec: &hev1}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"hvc1 without size", []Track{{ID: 1, Timescale: 90000, Codec: &noSize}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"hvc1 without record", []Track{{ID: 1, Timescale: 90000, Codec: &hevcNoRec}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"alaw at 96 kHz", []Track{{ID: 1, Timescale: 96000, Codec: alaw96}}, kvs.UnsupportedStreamMediaType, ErrUnsupportedCodec},
		{"alaw without config", []Track{{ID: 1, Timescale: 8000, Codec: &noG711}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"negative edit", []Track{{ID: 1, Timescale: 90000, Codec: hv, EditMediaTime: -1}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"nil alternate", []Track{{ID: 1, Timescale: 90000, Codec: hv, Alternates: []*codec.Track{nil}}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"audio alternate on video", []Track{{ID: 1, Timescale: 90000, Codec: hv, Alternates: []*codec.Track{aac}}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"bad alternate", []Track{{ID: 1, Timescale: 90000, Codec: hv, Alternates: []*codec.Track{&noSize}}}, kvs.InvalidArgument, ErrInvalidTrack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, tt.tracks)
			require.Error(t, err)
			assert.Nil(t, w)
			assert.ErrorIs(t, err, tt.cause)
			assert.Equal(t, tt.kind, kvs.KindOf(err), "%v", err)
		})
	}
}

// TestSampleDescriptionIndex: a track with an alternate accepts index 2
// and writes it into the tfhd, refuses 3, and a run with index 1 (or 0)
// leaves the field out.
func TestSampleDescriptionIndex(t *testing.T) {
	tracks := syntheticTracks()
	tracks[0].Alternates = []*codec.Track{tracks[0].Codec}
	var out bytes.Buffer
	w, err := NewWriter(&out, tracks)
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	one := []Sample{{Data: payload(1, 9), Duration: 3600, Sync: true}}
	for _, idx := range []uint32{0, 1, 2} {
		require.NoError(t, w.WriteFragment(&Fragment{Tracks: []TrackRun{{TrackID: 1, SampleDescriptionIndex: idx, Samples: one}}}))
	}
	err = w.WriteFragment(&Fragment{Tracks: []TrackRun{{TrackID: 1, SampleDescriptionIndex: 3, Samples: one}}})
	assert.ErrorIs(t, err, ErrInvalidFragment)
	err = w.WriteFragment(&Fragment{Tracks: []TrackRun{{TrackID: 2, SampleDescriptionIndex: 2, Samples: one}}})
	assert.ErrorIs(t, err, ErrInvalidFragment, "the audio track has one description")
	require.NoError(t, w.Flush())

	f, err := mp4ff.DecodeFile(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	stsd := f.Init.Moov.Traks[0].Mdia.Minf.Stbl.Stsd
	assert.Equal(t, uint32(2), stsd.SampleCount)
	assert.Len(t, stsd.Children, 2)
	assert.Equal(t, uint32(1), f.Init.Moov.Traks[1].Mdia.Minf.Stbl.Stsd.SampleCount)
	var got []uint32
	for _, seg := range f.Segments {
		for _, fr := range seg.Fragments {
			tf := fr.Moof.Traf.Tfhd
			got = append(got, map[bool]uint32{false: 1, true: tf.SampleDescriptionIndex}[tf.HasSampleDescriptionIndex()])
		}
	}
	assert.Equal(t, []uint32{1, 1, 2}, got)

	// The hot path stays allocation-free with the index field.
	frag := &Fragment{Tracks: []TrackRun{{TrackID: 1, SampleDescriptionIndex: 2, Samples: one}}}
	assert.Zero(t, testing.AllocsPerRun(50, func() { _ = w.WriteFragment(frag) }))
}

// TestEditList: no edts without an edit; one entry with segment_duration
// 0 and the media time otherwise, version 1 beyond 32 bits.
func TestEditList(t *testing.T) {
	for _, tc := range []struct {
		media   int64
		version byte
	}{{0, 0}, {7200, 0}, {1 << 33, 1}} {
		tracks := []Track{{ID: 1, Timescale: 90000, Codec: hevcTrack(t), EditMediaTime: tc.media}, syntheticTracks()[1]}
		var out bytes.Buffer
		w, err := NewWriter(&out, tracks)
		require.NoError(t, err)
		require.NoError(t, w.WriteInit())
		require.NoError(t, w.Flush())
		f, err := mp4ff.DecodeFile(bytes.NewReader(out.Bytes()))
		require.NoError(t, err)
		assert.Nil(t, f.Init.Moov.Traks[1].Edts, "audio track has no edit")
		trak := f.Init.Moov.Traks[0]
		if tc.media == 0 {
			assert.Nil(t, trak.Edts)
			continue
		}
		require.NotNil(t, trak.Edts)
		require.Len(t, trak.Edts.Elst, 1)
		assert.Equal(t, tc.version, trak.Edts.Elst[0].Version)
		assert.Equal(t, []mp4ff.ElstEntry{{SegmentDuration: 0, MediaTime: tc.media, MediaRateInteger: 1}}, trak.Edts.Elst[0].Entries)
		assert.Equal(t, []string{"tkhd", "edts", "mdia"}, childTypes(trak.Children))
	}
}
