package codec

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// checkHEVCRecord asserts the invariants of a written hvcC: 4-byte lengths,
// reserved bits set, the sample format of the SPS, completeness matching
// InBand, and that reading it back gives the same configuration.
func checkHEVCRecord(t *testing.T, c *HEVCConfig) {
	t.Helper()
	rec := c.Record
	require.GreaterOrEqual(t, len(rec), hvccHeaderSize)
	assert.Equal(t, byte(1), rec[0])
	assert.Equal(t, byte(3), rec[21]&3, "lengthSizeMinusOne")
	assert.Equal(t, byte(0xF0), rec[13]&0xF0)
	assert.Equal(t, byte(0xFC|c.ChromaFormat), rec[16])
	assert.Equal(t, byte(0xF8|(c.BitDepthLuma-8)), rec[17])
	h, arrays, err := parseHVCC(rec)
	require.NoError(t, err)
	assert.Equal(t, c.HEVCProfile, h.profile)
	for _, a := range arrays {
		if a.typ >= hevcNALVPS && a.typ <= hevcNALPPS {
			assert.Equal(t, !c.InBand, a.complete, "array of type %d", a.typ)
		}
	}
	again, err := ParseTrack(CodecIDHEVC, rec, Hint{})
	require.NoError(t, err)
	assert.Equal(t, rec, again.HEVC.Record)
	assert.Equal(t, 4, again.HEVC.LengthSize)
	assert.Equal(t, c.VPS, again.HEVC.VPS)
	assert.Equal(t, c.SPS, again.HEVC.SPS)
	assert.Equal(t, c.PPS, again.HEVC.PPS)
	assert.Equal(t, c.SPSInfo, again.HEVC.SPSInfo)
	if !c.InBand {
		// mp4ff, on trusted (our own) bytes, as a second reader.
		dcr, err := hevc.DecodeHEVCDecConfRec(rec)
		require.NoError(t, err)
		assert.Equal(t, c.ProfileIDC, dcr.GeneralProfileIDC)
		assert.Equal(t, c.LevelIDC, dcr.GeneralLevelIDC)
		assert.Equal(t, c.SPS, dcr.GetNalusForType(hevc.NALU_SPS))
		assert.Equal(t, c.PPS, dcr.GetNalusForType(hevc.NALU_PPS))
	}
}

// x265Stream is an ffmpeg-made H.265 stream read back from Matroska.
type x265Stream struct {
	private []byte
	frames  [][]byte
	keys    []bool
	path    string
}

// encodeX265 makes a one-second libx265 clip with 3 B-frames and returns its
// CodecPrivate and frames as the mkv reader sees them.
func encodeX265(t testing.TB, size, pixFmt string, extra ...string) x265Stream {
	t.Helper()
	mediatest.Need(t, "ffmpeg", "ffprobe")
	path := filepath.Join(t.TempDir(), "x265.mkv")
	args := []string{"-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=25", "-t", "1",
		"-c:v", "libx265", "-x265-params", "log-level=error:bframes=3:keyint=10", "-pix_fmt", pixFmt}
	args = append(append(args, extra...), path)
	out, err := exec.Command("ffmpeg", args...).CombinedOutput()
	require.NoError(t, err, "ffmpeg: %s", out)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	r := mkv.NewBytesReader(data)
	s := x265Stream{path: path}
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		s.private = f.Header.Tracks[0].CodecPrivate
		for _, b := range f.Blocks {
			s.frames = append(s.frames, b.Data)
			s.keys = append(s.keys, b.Keyframe)
		}
	}
	return s
}

// probeVideo returns ffprobe's stream fields by name.
func probeVideo(t testing.TB, path string) map[string]string {
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
		"stream=width,height,profile,pix_fmt,level", "-of", "default=noprint_wrappers=1", path).Output()
	require.NoError(t, err)
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	return m
}

// TestRealHEVC checks the SPS facts against ffprobe for libx265 streams of
// several profiles, sizes (odd ones exercise the conformance window) and
// bit depths, and walks every frame.
func TestRealHEVC(t *testing.T) {
	for _, tc := range []struct {
		size, pixFmt string
		profile      byte
		profileName  string
		depth        byte
		chroma       byte
	}{
		{"176x144", "yuv420p", 1, "Main", 8, 1},
		{"174x142", "yuv420p", 1, "Main", 8, 1},
		{"176x144", "yuv420p10le", 2, "Main 10", 10, 1},
		{"170x98", "yuv420p10le", 2, "Main 10", 10, 1},
		{"174x142", "yuv444p", 4, "Rext", 8, 3},
	} {
		t.Run(tc.size+"-"+tc.pixFmt, func(t *testing.T) {
			t.Parallel()
			s := encodeX265(t, tc.size, tc.pixFmt)
			tr, err := ParseTrack(CodecIDHEVC, s.private, Hint{})
			require.NoError(t, err)
			assert.Equal(t, "hvc1", tr.SampleEntry)
			c := tr.HEVC
			probe := probeVideo(t, s.path)
			assert.Equal(t, probe["width"], strconv.Itoa(int(tr.Width)))
			assert.Equal(t, probe["height"], strconv.Itoa(int(tr.Height)))
			assert.Equal(t, tc.profileName, probe["profile"])
			assert.Equal(t, tc.pixFmt, probe["pix_fmt"])
			assert.Equal(t, probe["level"], strconv.Itoa(int(c.LevelIDC)))
			assert.Equal(t, tc.profile, c.ProfileIDC)
			assert.Equal(t, tc.depth, c.BitDepthLuma)
			assert.Equal(t, tc.depth, c.BitDepthChroma)
			assert.Equal(t, tc.chroma, c.ChromaFormat)
			assert.Equal(t, 4, c.LengthSize)
			assert.Equal(t, 2, c.SPSInfo.ReorderFrames, "3 B-frames with a pyramid")
			checkHEVCRecord(t, c)

			// mp4ff's SPS parser, on our own trusted stream, agrees.
			ms, err := hevc.ParseSPSNALUnit(c.SPS[0])
			require.NoError(t, err)
			w, h := ms.ImageSize()
			assert.Equal(t, uint32(tr.Width), w)
			assert.Equal(t, uint32(tr.Height), h)

			// The SEI array (libx265's settings) is kept in the record.
			assert.Greater(t, len(c.Record), 1000)

			require.Equal(t, 25, len(s.frames))
			for i, f := range s.frames {
				out, err := c.Frame(nil, f)
				require.NoError(t, err, "frame %d", i)
				require.Same(t, &f[0], &out[0], "frame %d is 4-byte length-prefixed already", i)
				assert.Equal(t, s.keys[i], HasIRAP(f, 4), "frame %d", i)
				// Annex-B form of the same frame converts back.
				var ab []byte
				require.NoError(t, forEachNAL(f, 4, func(n []byte) { ab = append(append(ab, 0, 0, 0, 1), n...) }))
				conv, err := c.Frame(nil, ab)
				require.NoError(t, err)
				assert.Equal(t, f, conv)
				assert.Equal(t, s.keys[i], HasIRAP(ab, 0))
			}
			// A frame whose NAL length overruns it is an InvalidMediaFrame.
			bad := append([]byte(nil), s.frames[1]...)
			binary.BigEndian.PutUint32(bad, uint32(len(bad)))
			_, err = c.Frame(nil, bad)
			assert.Equal(t, kvs.InvalidMediaFrame, kvs.KindOf(err))

			// In-band: parameter sets put in front of the first frame are
			// found again and rebuild an equivalent configuration.
			inband := avccFrame(4, c.VPS[0], c.SPS[0], c.PPS[0])
			inband = append(inband, s.frames[0]...)
			vps, sps, pps, err := HEVCParameterSets(inband, 4)
			require.NoError(t, err)
			again, err := NewHEVCConfig(vps, sps, pps)
			require.NoError(t, err)
			assert.Equal(t, c.SPSInfo, again.SPSInfo)
			assert.Equal(t, c.HEVCProfile, again.HEVCProfile)
			assert.False(t, again.InBand)
			checkHEVCRecord(t, again)
		})
	}
}

// TestHEVCAnnexBCodecPrivate: a producer without NAL adaptation sends the
// parameter sets start-code separated; the record built from them carries
// the same SPS facts and the frames stay Annex-B (LengthSize 0).
func TestHEVCAnnexBCodecPrivate(t *testing.T) {
	rec, err := ParseTrack(CodecIDHEVC, cpdX265Main10Odd, Hint{})
	require.NoError(t, err)
	c := rec.HEVC
	ab := annexBOf(c.VPS[0], []byte{0x4e, 0x01, 0x05, 0x01, 0x80}, c.SPS[0], c.PPS[0])
	tr, err := ParseTrack(CodecIDHEVC, ab, Hint{})
	require.NoError(t, err)
	assert.Equal(t, "hvc1", tr.SampleEntry)
	assert.Equal(t, 0, tr.HEVC.LengthSize)
	assert.Equal(t, c.SPSInfo, tr.HEVC.SPSInfo)
	assert.Equal(t, c.HEVCProfile, tr.HEVC.HEVCProfile)
	assert.Equal(t, uint16(174), tr.Width)
	assert.Equal(t, uint16(142), tr.Height)
}

// TestHEVCRecordDoesNotAlias: the Track owns its bytes.
func TestHEVCRecordDoesNotAlias(t *testing.T) {
	in := append([]byte(nil), cpdX265Main...)
	tr, err := ParseTrack(CodecIDHEVC, in, Hint{})
	require.NoError(t, err)
	want := append([]byte(nil), tr.HEVC.Record...)
	sps := append([]byte(nil), tr.HEVC.SPS[0]...)
	for i := range in {
		in[i] = 0
	}
	assert.Equal(t, want, tr.HEVC.Record)
	assert.Equal(t, sps, tr.HEVC.SPS[0])
}

// TestHEVCRecordCanonical: the ffmpeg record comes back with only the
// completeness bits of its parameter set arrays changed.
func TestHEVCRecordCanonical(t *testing.T) {
	tr, err := ParseTrack(CodecIDHEVC, cpdX265Main, Hint{})
	require.NoError(t, err)
	want := append([]byte(nil), cpdX265Main...)
	want[23] |= 0x80
	want[52] |= 0x80
	want[99] |= 0x80
	assert.Equal(t, want, tr.HEVC.Record)
}

func TestHEVCFrameFunctions(t *testing.T) {
	vps, sps, pps := hevcVPSNAL, cpdX265Main[57:99], hevcPPSNAL
	idr := []byte{0x26, 0x01, 0xaf, 0x11}   // IDR_W_RADL (19)
	cra := []byte{0x2a, 0x01, 0xaf}         // CRA (21)
	trail := []byte{0x02, 0x01, 0xd0, 0x09} // TRAIL_R (1)
	aud := []byte{0x46, 0x01, 0x10}         // AUD (35)
	assert.True(t, HasIRAP(avccFrame(4, aud, idr), 4))
	assert.True(t, HasIRAP(annexBOf(aud, cra), 0))
	assert.False(t, HasIRAP(avccFrame(4, aud, trail), 4))
	assert.False(t, HasIRAP([]byte{0, 0, 0, 9, 1}, 4))
	v, s, p, err := HEVCParameterSets(annexBOf(aud, vps, sps, pps, idr), 0)
	require.NoError(t, err)
	assert.Equal(t, [][]byte{vps}, v)
	assert.Equal(t, [][]byte{sps}, s)
	assert.Equal(t, [][]byte{pps}, p)
	_, _, _, err = HEVCParameterSets([]byte{0, 0, 0, 9, 1}, 4)
	assert.Equal(t, kvs.InvalidMediaFrame, kvs.KindOf(err))

	_, err = NewHEVCConfig(nil, [][]byte{sps}, [][]byte{pps})
	assert.Equal(t, kvs.InvalidCodecPrivateData, kvs.KindOf(err))
	_, err = NewHEVCConfig([][]byte{vps}, [][]byte{pps}, [][]byte{pps})
	assert.Equal(t, kvs.InvalidCodecPrivateData, kvs.KindOf(err))

	// Zero allocations on the valid-frame path.
	frame := avccFrame(4, aud, vps, sps, pps, idr, bytes.Repeat([]byte{0x77}, 3000))
	c := &HEVCConfig{LengthSize: 4}
	dst := make([]byte, 0, 8192)
	for name, f := range map[string]func(){
		"Frame":     func() { _, _ = c.Frame(dst, frame) },
		"HasIRAP":   func() { _ = HasIRAP(frame, 4) },
		"annex-b":   func() { _, _ = (&HEVCConfig{}).Frame(dst[:0], annexBOf(aud, idr)) },
		"G711 size": func() { _, _ = (&G711Config{Channels: 2}).FrameSamples(frame[:320]) },
	} {
		if name == "annex-b" {
			ab := annexBOf(aud, idr)
			f = func() { _, _ = (&HEVCConfig{}).Frame(dst[:0], ab) }
		}
		assert.Zero(t, testing.AllocsPerRun(100, f), name)
	}
}
