package mp4

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/codec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// avcRecord160x120 is the avcC payload of the project's own fixture
// testdata/h264-aac-160x120.getmedia.mkv (made by ffmpeg's libx264): High
// profile, level 1.1, one SPS, one PPS, 4:2:0 8-bit trailer.
var avcRecord160x120 = mustHex("0164000bffe100186764000bacb20508fcb808800000030080000019078a1524" +
	"01000668ebc3cb22c0" + "fdf8f800")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func syntheticTracks() []Track {
	return []Track{
		{ID: 1, Timescale: 90000, Codec: &codec.Track{
			Kind: codec.Video, SampleEntry: "avc1", Width: 160, Height: 120,
			AVC: &codec.AVCConfig{Profile: 0x64, Level: 0x0b, LengthSize: 4, Record: avcRecord160x120},
		}},
		{ID: 2, Timescale: 48000, Codec: &codec.Track{
			Kind: codec.Audio, SampleEntry: "mp4a", SampleRate: 48000, Channels: 2, FrameLength: 1024,
			AAC: &codec.AACConfig{ObjectType: 2, Config: []byte{0x11, 0x90}},
		}},
	}
}

// payload returns n bytes that name their sample, so a misplaced one shows.
func payload(tag byte, n int) []byte {
	b := bytes.Repeat([]byte{tag}, n)
	b[0] = 0
	return b
}

// syntheticFragment covers the per-sample trun fields (durations vary,
// flags after the first are uniform, one negative offset) in the video run
// and the all-defaults tfhd in the audio run.
func syntheticFragment() *Fragment {
	return &Fragment{Tracks: []TrackRun{
		{TrackID: 1, BaseDecodeTime: 180000, Samples: []Sample{
			{Data: payload(0xA1, 5), Duration: 3600, CompositionOffset: 7200, Sync: true},
			{Data: payload(0xA2, 3), Duration: 3600, CompositionOffset: -3600},
			{Data: payload(0xA3, 4), Duration: 3000, CompositionOffset: 0},
		}},
		{TrackID: 2, BaseDecodeTime: 96000, Samples: []Sample{
			{Data: payload(0xB1, 6), Duration: 1024, Sync: true},
			{Data: payload(0xB2, 6), Duration: 1024, Sync: true},
			{Data: payload(0xB3, 6), Duration: 1024, Sync: true},
			{Data: payload(0xB4, 6), Duration: 1024, Sync: true},
		}},
	}}
}

func TestGolden(t *testing.T) {
	var out bytes.Buffer
	w, err := NewWriter(&out, syntheticTracks())
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	require.NoError(t, w.Flush())
	initLen := out.Len()
	require.NoError(t, w.WriteFragment(syntheticFragment()))
	require.NoError(t, w.Flush())

	for _, g := range []struct {
		file string
		got  []byte
	}{
		{"init.mp4.golden", out.Bytes()[:initLen]},
		{"fragment.m4s.golden", out.Bytes()[initLen:]},
	} {
		path := filepath.Join("testdata", g.file)
		if *update {
			require.NoError(t, os.WriteFile(path, g.got, 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run go test -update to create it")
		require.Equal(t, hex.Dump(want), hex.Dump(g.got), "%s differs; run go test -update if the change is intended", g.file)
	}
}

// decodeOne writes tracks+fragment and reads them back with mp4ff.
func decodeOne(t *testing.T, tracks []Track, f *Fragment) (*mp4ff.File, []byte) {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, tracks)
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	require.NoError(t, w.WriteFragment(f))
	require.NoError(t, w.Flush())
	file, err := mp4ff.DecodeFile(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	return file, out.Bytes()
}

func TestTrunLayout(t *testing.T) {
	const (
		base = tfhdDefaultBaseIsMoof
		dur  = tfhdDefaultDuration
		size = tfhdDefaultSize
		flg  = tfhdDefaultFlags
	)
	mk := func(sizes []int, durs []uint32, sync []bool, cto []int32) []Sample {
		s := make([]Sample, len(sizes))
		for i := range s {
			s[i] = Sample{Data: payload(byte(i+1), sizes[i]), Duration: durs[i], Sync: sync[i]}
			if cto != nil {
				s[i].CompositionOffset = cto[i]
			}
		}
		return s
	}
	tests := []struct {
		name        string
		samples     []Sample
		tfhdFlags   uint32
		trunFlags   uint32
		trunVersion byte
	}{
		{"uniform audio", mk([]int{6, 6, 6}, []uint32{1024, 1024, 1024}, []bool{true, true, true}, nil),
			base | dur | size | flg, trunDataOffset, 0},
		{"gop", mk([]int{9, 4, 5}, []uint32{3600, 3600, 3600}, []bool{true, false, false}, nil),
			base | dur | flg, trunDataOffset | trunFirstSampleFlags | trunSize, 0},
		{"starts without key frame", mk([]int{9, 4}, []uint32{40, 40}, []bool{false, false}, nil),
			base | dur | flg, trunDataOffset | trunSize, 0},
		{"key frame in the middle", mk([]int{9, 4, 5}, []uint32{40, 40, 40}, []bool{true, false, true}, nil),
			base | dur, trunDataOffset | trunSize | trunFlags, 0},
		{"varied durations", mk([]int{3, 4}, []uint32{1024, 960}, []bool{true, true}, nil),
			base | flg, trunDataOffset | trunDuration | trunSize, 0},
		{"positive offsets", mk([]int{3, 4, 5}, []uint32{40, 40, 40}, []bool{true, false, false}, []int32{80, 0, 40}),
			base | dur | flg, trunDataOffset | trunFirstSampleFlags | trunSize | trunCompositionTime, 0},
		{"negative offset", mk([]int{3, 4, 5}, []uint32{40, 40, 40}, []bool{true, false, false}, []int32{40, -40, 0}),
			base | dur | flg, trunDataOffset | trunFirstSampleFlags | trunSize | trunCompositionTime, 1},
		{"one sample", mk([]int{7}, []uint32{40}, []bool{true}, nil),
			base | dur | size | flg, trunDataOffset, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tracks := syntheticTracks()[:1]
			f := &Fragment{Tracks: []TrackRun{{TrackID: 1, BaseDecodeTime: 1 << 40, SampleDescriptionIndex: 1, Samples: tt.samples}}}
			file, raw := decodeOne(t, tracks, f)
			frag := file.Segments[0].Fragments[0]
			traf := frag.Moof.Traf
			assert.Equal(t, tt.tfhdFlags, traf.Tfhd.Flags, "tfhd flags %#x", traf.Tfhd.Flags)
			assert.Equal(t, tt.trunFlags, traf.Trun.Flags, "trun flags %#x", traf.Trun.Flags)
			assert.Equal(t, tt.trunVersion, traf.Trun.Version)
			assert.Equal(t, uint64(1<<40), traf.Tfdt.BaseMediaDecodeTime())
			// data_offset: from the moof start past the moof and the mdat
			// header to the first payload byte.
			moofStart := int(frag.Moof.StartPos)
			assert.Equal(t, int32(frag.Moof.Size())+8, traf.Trun.DataOffset)
			assert.Equal(t, tt.samples[0].Data, raw[moofStart+int(traf.Trun.DataOffset):][:len(tt.samples[0].Data)])

			trex, _ := file.Init.Moov.Mvex.GetTrex(1)
			full, err := frag.GetFullSamples(trex)
			require.NoError(t, err)
			require.Len(t, full, len(tt.samples))
			for i, s := range full {
				w := tt.samples[i]
				assert.Equal(t, w.Data, s.Data)
				assert.Equal(t, w.Duration, s.Dur)
				assert.Equal(t, w.CompositionOffset, s.CompositionTimeOffset)
				assert.Equal(t, w.Sync, s.IsSync())
				want := sampleFlagsNonSync
				if w.Sync {
					want = sampleFlagsSync
				}
				assert.Equal(t, want, s.Flags)
			}
		})
	}
}

// TestDataOffsetsSeveralTracks checks that each traf's data_offset skips
// the payloads of the tracks before it.
func TestDataOffsetsSeveralTracks(t *testing.T) {
	f := syntheticFragment()
	file, raw := decodeOne(t, syntheticTracks(), f)
	frag := file.Segments[0].Fragments[0]
	require.Len(t, frag.Moof.Trafs, 2)
	moofStart := int(frag.Moof.StartPos)
	videoBytes := 5 + 3 + 4
	assert.Equal(t, int32(frag.Moof.Size())+8, frag.Moof.Trafs[0].Trun.DataOffset)
	assert.Equal(t, int32(frag.Moof.Size())+8+int32(videoBytes), frag.Moof.Trafs[1].Trun.DataOffset)
	for i, traf := range frag.Moof.Trafs {
		first := f.Tracks[i].Samples[0].Data
		assert.Equal(t, first, raw[moofStart+int(traf.Trun.DataOffset):][:len(first)])
	}
	assert.Equal(t, uint64(8+videoBytes+4*6), frag.Mdat.Size())
}

func TestSequenceNumbersAndSkippedRuns(t *testing.T) {
	var out bytes.Buffer
	w, err := NewWriter(&out, syntheticTracks())
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	f := syntheticFragment()
	require.NoError(t, w.WriteFragment(f))
	// A fragment without samples writes nothing and takes no number.
	before := w.BytesWritten()
	require.NoError(t, w.WriteFragment(&Fragment{Tracks: []TrackRun{{TrackID: 1}, {TrackID: 2}}}))
	require.NoError(t, w.WriteFragment(&Fragment{}))
	assert.Equal(t, before, w.BytesWritten())
	// A run without samples gets no traf.
	f.Tracks[0].Samples = nil
	require.NoError(t, w.WriteFragment(f))
	require.NoError(t, w.Flush())

	file, err := mp4ff.DecodeFile(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	var frags []*mp4ff.Fragment
	for _, s := range file.Segments {
		frags = append(frags, s.Fragments...)
	}
	require.Len(t, frags, 2)
	assert.Equal(t, uint32(1), frags[0].Moof.Mfhd.SequenceNumber)
	assert.Equal(t, uint32(2), frags[1].Moof.Mfhd.SequenceNumber)
	require.Len(t, frags[1].Moof.Trafs, 1)
	assert.Equal(t, uint32(2), frags[1].Moof.Traf.Tfhd.TrackID)
}

func TestHighSampleRate(t *testing.T) {
	tracks := []Track{{ID: 1, Timescale: 96000, Codec: &codec.Track{
		Kind: codec.Audio, SampleEntry: "mp4a", SampleRate: 96000, Channels: 2,
		AAC: &codec.AACConfig{ObjectType: 2, Config: []byte{0x10, 0x10}}, // LC, 96 kHz, 2 ch
	}}}
	file, _ := decodeOne(t, tracks, &Fragment{Tracks: []TrackRun{{TrackID: 1, Samples: []Sample{{Data: []byte{1}, Duration: 1024, Sync: true}}}}})
	mp4a := file.Init.Moov.Trak.Mdia.Minf.Stbl.Stsd.Mp4a
	assert.Equal(t, uint16(0), mp4a.SampleRate, "96000 does not fit the 16-bit field")
	assert.Equal(t, uint32(96000), file.Init.Moov.Trak.Mdia.Mdhd.Timescale)
}
