package mp4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
)

// mkvFrame is one frame of an ffmpeg-made Matroska file, in file (decode)
// order.
type mkvFrame struct {
	data []byte
	pts  int64 // milliseconds
	key  bool
}

// encodeMKV runs ffmpeg with args and the output path, then reads the file
// back with the mkv package: the first track's codec, parsed, and its
// frames.
func encodeMKV(t *testing.T, args ...string) (*codec.Track, []mkvFrame) {
	t.Helper()
	mediatest.Need(t, "ffmpeg")
	path := filepath.Join(t.TempDir(), "in.mkv")
	full := append([]string{"-nostdin", "-v", "error"}, args...)
	out, err := exec.Command("ffmpeg", append(full, path)...).CombinedOutput()
	require.NoError(t, err, "ffmpeg: %s", out)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	r := mkv.NewBytesReader(data)
	var tr *codec.Track
	var frames []mkvFrame
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Equal(t, uint64(1_000_000), f.Header.TimecodeScale)
		h := f.Header.Tracks[0]
		if tr == nil {
			tr, err = codec.ParseTrack(h.CodecID, h.CodecPrivate, codec.Hint{
				PixelWidth: h.PixelWidth, PixelHeight: h.PixelHeight, Channels: h.Channels, SamplingFrequency: h.SamplingFrequency})
			require.NoError(t, err)
		}
		for _, b := range f.Blocks {
			frames = append(frames, mkvFrame{data: b.Data, pts: b.Time, key: b.Keyframe})
		}
	}
	return tr, frames
}

// videoPlan turns frames with presentation times (ms, decode order, at a
// constant frame rate) into samples at timescale 90 kHz: decode times
// i*duration from 0, composition offsets that put every frame at its input
// presentation time plus delay, and delay as the edit media time. delay is
// the least that keeps every offset non-negative, unless negative is set:
// then it is one frame less, some offsets go negative (trun version 1), and
// the edit list still brings the first presented frame to 0.
type plannedVideo struct {
	samples []Sample
	pts     []int64 // wanted presentation times, 90 kHz
	dts     []int64
	edit    int64
}

func planVideo(frames []mkvFrame, frameMS int64, negative bool) plannedVideo {
	const ts = 90
	dur := frameMS * ts
	var p plannedVideo
	delay := int64(0)
	minPTS := frames[0].pts
	for i, f := range frames {
		delay = max(delay, int64(i)*dur-f.pts*ts)
		minPTS = min(minPTS, f.pts)
	}
	if negative {
		// One frame duration less than needed: the frames that set the
		// delay get negative offsets.
		delay -= dur
	}
	for i, f := range frames {
		dts := int64(i) * dur
		cts := f.pts*ts + delay
		p.samples = append(p.samples, Sample{Data: f.data, Duration: uint32(dur), CompositionOffset: int32(cts - dts), Sync: f.key})
		p.pts = append(p.pts, (f.pts-minPTS)*ts)
		p.dts = append(p.dts, dts)
	}
	p.edit = minPTS*ts + delay
	return p
}

// splitAtKeys groups sample indices into fragments that start at key
// frames, at least minLen samples each.
func splitAtKeys(samples []Sample, minLen int) [][2]int {
	var out [][2]int
	start := 0
	for i := 1; i < len(samples); i++ {
		if samples[i].Sync && i-start >= minLen {
			out = append(out, [2]int{start, i})
			start = i
		}
	}
	return append(out, [2]int{start, len(samples)})
}

// writeRuns writes one fragment per range; descIndex(k) picks the sample
// description of fragment k.
func writeRuns(t *testing.T, tracks []Track, samples []Sample, ranges [][2]int, dts []int64, descIndex func(int) uint32) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, tracks)
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	for k, r := range ranges {
		run := TrackRun{TrackID: tracks[0].ID, BaseDecodeTime: uint64(dts[r[0]]), Samples: samples[r[0]:r[1]]}
		if descIndex != nil {
			run.SampleDescriptionIndex = descIndex(k)
		}
		require.NoError(t, w.WriteFragment(&Fragment{Tracks: []TrackRun{run}}))
	}
	require.NoError(t, w.Flush())
	return out.Bytes()
}

// decodeClean writes data to a file, has ffmpeg decode it with -xerror and
// returns the path.
func decodeClean(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.mp4")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	msg, ok := mediatest.Decode(t, path)
	require.True(t, ok, "ffmpeg: %s", msg)
	_ = ok
	require.Empty(t, msg, "ffmpeg reported problems")
	return path
}

// checkVideoPackets compares ffprobe's packets with the plan: sizes, key
// flags, and presentation times equal to the input's. ffmpeg reports
// decode times moved back by the edit, so they are compared that way.
func checkVideoPackets(t *testing.T, path string, p plannedVideo) {
	t.Helper()
	// ffmpeg 5.1 moves every presentation time later by the largest
	// negative composition offset (so that none precedes its decode time),
	// on top of the edit (decode times are not moved); with non-negative
	// offsets that shift is 0.
	shift := int64(0)
	for _, s := range p.samples {
		shift = max(shift, -int64(s.CompositionOffset))
	}
	got := mediatest.Packets(t, path)
	require.Equal(t, len(p.samples), len(got), "packet count")
	first := got[0].PTS
	for i, g := range got {
		s := p.samples[i]
		require.Equal(t, len(s.Data), g.Size, "packet %d size", i)
		require.Equal(t, s.Sync, g.Key, "packet %d key", i)
		require.Equal(t, p.pts[i]+shift, g.PTS, "packet %d pts", i)
		require.Equal(t, p.dts[i]-p.edit, g.DTS, "packet %d dts", i)
		first = min(first, g.PTS)
	}
	// The first presented frame is where the input's was (0), but for
	// ffmpeg's shift.
	require.Equal(t, shift, first)
}

func TestHEVCWithBFrames(t *testing.T) {
	for _, tc := range []struct {
		name, size, pixFmt string
		profile            byte
		negative           bool
	}{
		{"main", "176x144", "yuv420p", 1, false},
		{"main10-odd-size", "174x142", "yuv420p10le", 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, frames := encodeMKV(t, "-f", "lavfi", "-i", "testsrc2=size="+tc.size+":rate=25", "-t", "2",
				"-c:v", "libx265", "-x265-params", "log-level=error:bframes=3:keyint=20:min-keyint=20:scenecut=0", "-pix_fmt", tc.pixFmt)
			require.Equal(t, "hvc1", tr.SampleEntry)
			require.Equal(t, tc.profile, tr.HEVC.ProfileIDC)
			p := planVideo(frames, 40, tc.negative)
			for i := range p.samples {
				out, err := tr.HEVC.Frame(nil, p.samples[i].Data)
				require.NoError(t, err)
				require.Equal(t, p.samples[i].Sync, codec.HasIRAP(out, 4), "frame %d", i)
			}
			require.Positive(t, p.edit, "B-frames delay the first presented frame")
			tracks := []Track{{ID: 1, Timescale: 90000, Codec: tr, EditMediaTime: p.edit}}
			data := writeRuns(t, tracks, p.samples, splitAtKeys(p.samples, 10), p.dts, nil)

			f, err := mp4ff.DecodeFile(bytes.NewReader(data))
			require.NoError(t, err)
			trak := f.Init.Moov.Traks[0]
			require.NotNil(t, trak.Mdia.Minf.Stbl.Stsd.HvcX)
			assert.Equal(t, "hvc1", trak.Mdia.Minf.Stbl.Stsd.HvcX.Type())
			assert.Equal(t, tr.Width, trak.Mdia.Minf.Stbl.Stsd.HvcX.Width)
			i := bytes.Index(data, []byte("hvcC"))
			require.Positive(t, i)
			_, size := boxAt(data[i-4:])
			assert.Equal(t, tr.HEVC.Record, data[i+4:i-4+size])
			require.NotNil(t, trak.Edts)
			require.Len(t, trak.Edts.Elst, 1)
			assert.Equal(t, []mp4ff.ElstEntry{{MediaTime: p.edit, MediaRateInteger: 1}}, trak.Edts.Elst[0].Entries)
			assert.Equal(t, []string{"tkhd", "edts", "mdia"}, childTypes(trak.Children))

			path := decodeClean(t, data)
			checkVideoPackets(t, path, p)
		})
	}
}

func childTypes(boxes []mp4ff.Box) []string {
	var out []string
	for _, b := range boxes {
		out = append(out, b.Type())
	}
	return out
}

// TestH264WithBFrames: libx264 with a B-pyramid, written with composition
// offsets and an edit list, presents every frame when the input did.
func TestH264WithBFrames(t *testing.T) {
	for _, negative := range []bool{false, true} {
		t.Run(fmt.Sprintf("negative=%v", negative), func(t *testing.T) {
			t.Parallel()
			tr, frames := encodeMKV(t, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "3",
				"-c:v", "libx264", "-bf", "3", "-b-pyramid", "normal", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0")
			require.Equal(t, "avc1", tr.SampleEntry)
			require.Positive(t, tr.AVC.SPSInfo.ReorderFrames)
			p := planVideo(frames, 40, negative)
			require.Positive(t, p.edit)
			tracks := []Track{{ID: 1, Timescale: 90000, Codec: tr, EditMediaTime: p.edit}}
			data := writeRuns(t, tracks, p.samples, splitAtKeys(p.samples, 10), p.dts, nil)
			f, err := mp4ff.DecodeFile(bytes.NewReader(data))
			require.NoError(t, err)
			v1 := false
			for _, seg := range f.Segments {
				for _, fr := range seg.Fragments {
					v1 = v1 || fr.Moof.Traf.Trun.Version == 1
				}
			}
			assert.Equal(t, negative, v1, "trun version 1 exactly when an offset is negative")
			path := decodeClean(t, data)
			checkVideoPackets(t, path, p)
		})
	}
}

// TestSampleDescriptionSwitch writes two HEVC streams of different sizes
// into one track: sample description 1 for the first fragments, 2 from the
// fragment where the SPS changes. ffmpeg must decode it cleanly and see
// both sizes.
func TestSampleDescriptionSwitch(t *testing.T) {
	t.Parallel()
	enc := func(size string) (*codec.Track, []mkvFrame) {
		return encodeMKV(t, "-f", "lavfi", "-i", "testsrc2=size="+size+":rate=25", "-t", "1",
			"-c:v", "libx265", "-x265-params", "log-level=error:bframes=0:keyint=25")
	}
	trA, framesA := enc("176x144")
	trB, framesB := enc("160x96")
	require.NotEqual(t, trA.HEVC.SPS, trB.HEVC.SPS)
	// ffmpeg 5.1 does not follow a tfhd sample_description_index to the
	// new hvcC in a fragmented file (without the next lines it decodes the
	// new slices with the old PPS and fails), so the first frame after
	// the switch also carries its parameter sets in-band, as a remuxer
	// should do for such players.
	c := trB.HEVC
	framesB[0].data = append(append([]byte(nil), annexBToAVCCNALs(c.VPS[0], c.SPS[0], c.PPS[0])...), framesB[0].data...)
	var samples []Sample
	var dts []int64
	for i, f := range append(framesA, framesB...) {
		samples = append(samples, Sample{Data: f.data, Duration: 3600, Sync: f.key})
		dts = append(dts, int64(i)*3600)
	}
	ranges := [][2]int{{0, len(framesA)}, {len(framesA), len(samples)}}
	tracks := []Track{{ID: 1, Timescale: 90000, Codec: trA, Alternates: []*codec.Track{trB}}}
	data := writeRuns(t, tracks, samples, ranges, dts, func(k int) uint32 { return uint32(k + 1) })

	f, err := mp4ff.DecodeFile(bytes.NewReader(data))
	require.NoError(t, err)
	stsd := f.Init.Moov.Traks[0].Mdia.Minf.Stbl.Stsd
	assert.Equal(t, uint32(2), stsd.SampleCount)
	require.Len(t, stsd.Children, 2)
	var frags []*mp4ff.Fragment
	for _, seg := range f.Segments {
		frags = append(frags, seg.Fragments...)
	}
	require.Len(t, frags, 2)
	assert.False(t, frags[0].Moof.Traf.Tfhd.HasSampleDescriptionIndex())
	assert.True(t, frags[1].Moof.Traf.Tfhd.HasSampleDescriptionIndex())
	assert.Equal(t, uint32(2), frags[1].Moof.Traf.Tfhd.SampleDescriptionIndex)

	path := decodeClean(t, data)
	got := mediatest.Packets(t, path)
	require.Len(t, got, len(samples))
	for i, g := range got {
		require.Equal(t, len(samples[i].Data), g.Size, "packet %d", i)
		require.Equal(t, dts[i], g.DTS, "packet %d", i)
		require.Equal(t, dts[i], g.PTS, "packet %d", i)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=width,height",
		"-of", "csv=p=0", path).Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "176,144")
	assert.Contains(t, string(out), "160,96")
}

// TestG711 writes A-law (the producer SDK's sample frames) and µ-law
// (ffmpeg-made, stereo) tracks: one sample per KVS frame, its duration the
// frame's byte count over the channel count.
func TestG711(t *testing.T) {
	t.Run("alaw-sdk-frames", func(t *testing.T) {
		t.Parallel()
		tr, err := codec.ParseTrack(codec.CodecIDACM, []byte{6, 0, 1, 0, 0x40, 0x1f, 0, 0, 0xe8, 3, 0, 0, 1, 0, 0, 0, 0, 0}, codec.Hint{})
		require.NoError(t, err)
		require.Equal(t, "alaw", tr.SampleEntry)
		var frames []mkvFrame
		for i := range 250 {
			frames = append(frames, mkvFrame{data: sampleFrame(t, "alawSampleFrames", fmt.Sprintf("sample-%03d.alaw", i))})
		}
		checkG711(t, tr, frames)
	})
	t.Run("ulaw-ffmpeg-stereo", func(t *testing.T) {
		t.Parallel()
		tr, frames := encodeMKV(t, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-f", "lavfi", "-i",
			"sine=frequency=660:sample_rate=16000", "-filter_complex", "[0][1]amerge=inputs=2", "-t", "3", "-c:a", "pcm_mulaw")
		require.Equal(t, "ulaw", tr.SampleEntry)
		require.Equal(t, uint16(2), tr.Channels)
		require.Equal(t, uint32(16000), tr.SampleRate)
		checkG711(t, tr, frames)
	})
}

func checkG711(t *testing.T, tr *codec.Track, frames []mkvFrame) {
	t.Helper()
	var samples []Sample
	var dts []int64
	next := int64(0)
	for _, f := range frames {
		n, err := tr.G711.FrameSamples(f.data)
		require.NoError(t, err)
		samples = append(samples, Sample{Data: f.data, Duration: n, Sync: true})
		dts = append(dts, next)
		next += int64(n)
	}
	var ranges [][2]int
	for i := 0; i < len(samples); i += 50 {
		ranges = append(ranges, [2]int{i, min(i+50, len(samples))})
	}
	tracks := []Track{{ID: 1, Timescale: tr.SampleRate, Codec: tr}}
	data := writeRuns(t, tracks, samples, ranges, dts, nil)

	f, err := mp4ff.DecodeFile(bytes.NewReader(data))
	require.NoError(t, err)
	stsd := f.Init.Moov.Traks[0].Mdia.Minf.Stbl.Stsd
	require.Len(t, stsd.Children, 1)
	assert.Equal(t, tr.SampleEntry, stsd.Children[0].Type())
	// mp4ff does not decode alaw/ulaw entries; read the fields by hand.
	i := bytes.Index(data, []byte(tr.SampleEntry))
	require.Positive(t, i)
	typ, size := boxAt(data[i-4:])
	require.Equal(t, tr.SampleEntry, typ)
	require.Equal(t, 36, size, "audio sample entry without children")
	e := data[i+4:]
	assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 1}, e[:8], "reserved, data_reference_index 1")
	assert.Equal(t, tr.Channels, binary.BigEndian.Uint16(e[16:]))
	assert.Equal(t, uint16(16), binary.BigEndian.Uint16(e[18:]))
	assert.Equal(t, tr.SampleRate<<16, binary.BigEndian.Uint32(e[24:]))

	path := decodeClean(t, data)
	got := mediatest.Packets(t, path)
	require.Len(t, got, len(samples))
	for i, g := range got {
		require.Equal(t, len(samples[i].Data), g.Size, "packet %d", i)
		require.Equal(t, dts[i], g.DTS, "packet %d", i)
		require.Equal(t, dts[i], g.PTS, "packet %d", i)
		require.Equal(t, int64(samples[i].Duration), g.Duration, "packet %d", i)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels",
		"-of", "csv=p=0", path).Output()
	require.NoError(t, err)
	name := map[string]string{"alaw": "pcm_alaw", "ulaw": "pcm_mulaw"}[tr.SampleEntry]
	assert.Equal(t, fmt.Sprintf("%s,%d,%d", name, tr.SampleRate, tr.Channels), string(bytes.TrimSpace(out)))
}

// annexBToAVCCNALs joins NAL units behind 4-byte lengths.
func annexBToAVCCNALs(nals ...[]byte) []byte {
	var out []byte
	for _, n := range nals {
		out = binary.BigEndian.AppendUint32(out, uint32(len(n)))
		out = append(out, n...)
	}
	return out
}
