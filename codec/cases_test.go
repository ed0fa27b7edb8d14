package codec

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// trackCase is one entry of the table that drives the unit tests, the fuzz
// seeds and the benchmarks.
type trackCase struct {
	name    string
	codecID string
	private []byte
	hint    Hint

	// err is the wanted error kind; Unknown (0) means success.
	err kvs.Kind

	// Facts wanted on success.
	codec         string
	bitDepth      byte // HEVC luma bit depth
	width, height uint16
	profile       byte
	lengthSize    int
	numSPS        int
	numPPS        int
	reorder       int
	sampleRate    uint32
	channels      uint16
	frameLength   uint32
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// recordings holds the CodecPrivate of the real KVS recordings in the
// shared test data (mediatest.SharedDir), read when a test first asks for
// them: the recordings are not ours to copy into the repository, so neither
// their bytes nor rows or seeds derived from them are in the committed
// table (see recordedCases).
type recordings struct {
	// getmedia/output_get_media.mkv: Main 3.0, 640x360, reserved bits cleared.
	getMedia []byte
	// producer/clusters.mkv (= getmedia/kinesis_video_renderer_example_output.mkv):
	// High 4.0, 640x480, no High-profile trailer.
	clusters []byte
	// getmedia/output-get-media-non-increasing-timecode.mkv: High 3.1, 960x720.
	nonIncreasing []byte
	// producer/test-stream-1_0.mkv (producer SDK): Baseline 3.0, 640x480.
	sdk []byte
	// producer/vogels_480.mkv: Constrained Baseline 4.0, 640x480.
	vogels []byte
	// frames/h264SampleFrames/frame-001.h264, first 48 bytes: AUD, SPS, PPS
	// in Annex-B form (High 3.0, 640x480), as a producer without NAL
	// adaptation would send CodecPrivate.
	annexB []byte
}

// readRecordings reads the recordings (mediatest.LookupShared) once per
// test binary.
var readRecordings = sync.OnceValues(func() (recordings, error) {
	dir, ok := mediatest.LookupShared()
	if !ok {
		return recordings{}, fmt.Errorf("no shared recordings at %s", dir)
	}
	var r recordings
	for _, f := range []struct {
		dst *[]byte
		rel string
	}{
		{&r.getMedia, "getmedia/output_get_media.mkv"},
		{&r.clusters, "producer/clusters.mkv"},
		{&r.nonIncreasing, "getmedia/output-get-media-non-increasing-timecode.mkv"},
		{&r.sdk, "producer/test-stream-1_0.mkv"},
		{&r.vogels, "producer/vogels_480.mkv"},
	} {
		data, err := os.ReadFile(filepath.Join(dir, f.rel))
		if err != nil {
			return r, err
		}
		frag, err := mkv.NewBytesReader(data).Next()
		if err != nil {
			return r, fmt.Errorf("%s: %w", f.rel, err)
		}
		*f.dst = append([]byte(nil), frag.Header.Tracks[0].CodecPrivate...)
	}
	frame, err := os.ReadFile(filepath.Join(dir, "frames", "h264SampleFrames", "frame-001.h264"))
	if err != nil {
		return r, err
	}
	r.annexB = frame[:48]
	return r, nil
})

// sharedRecordings returns the recordings, or skips the test without them
// (fails under CI), as mediatest.SharedDir does.
func sharedRecordings(tb testing.TB) recordings {
	tb.Helper()
	mediatest.SharedDir(tb)
	r, err := readRecordings()
	if err != nil {
		tb.Fatalf("shared recordings: %v", err)
	}
	return r
}

// allTrackCases returns the committed table with the rows made from the
// recordings in front. Those are loaded in a subtest named "recordings",
// so that without them only it skips (or fails under CI) and the
// committed rows still run.
func allTrackCases(t *testing.T) []trackCase {
	t.Helper()
	var rec []trackCase
	t.Run("recordings", func(t *testing.T) { rec = recordedCases(sharedRecordings(t)) })
	return append(rec, trackCases...)
}

// availableTrackCases is the committed table, with the recordings' rows in
// front when the recordings are there, for what must not skip or fail
// without them: fuzz seeds and benchmarks.
func availableTrackCases() []trackCase {
	r, err := readRecordings()
	if err != nil {
		return trackCases
	}
	return append(recordedCases(r), trackCases...)
}

// withByte returns a copy of b with b[i] = v.
func withByte(b []byte, i int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[i] = v
	return c
}

// bitWriter builds crafted SPS units for the table.
type bitWriter struct {
	b    []byte
	nbit int
}

func (w *bitWriter) u(n int, v uint64) {
	for i := n - 1; i >= 0; i-- {
		if w.nbit%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>uint(i)&1 == 1 {
			w.b[len(w.b)-1] |= 0x80 >> uint(w.nbit%8)
		}
		w.nbit++
	}
}

func (w *bitWriter) ue(v uint64) {
	v++
	n := 0
	for x := v; x > 1; x >>= 1 {
		n++
	}
	w.u(n, 0)
	w.u(n+1, v)
}

func (w *bitWriter) se(v int64) {
	if v > 0 {
		w.ue(uint64(2*v - 1))
	} else {
		w.ue(uint64(-2 * v))
	}
}

// rbsp closes the RBSP with the stop bit and escapes it into a NAL unit.
func (w *bitWriter) nal(header byte) []byte {
	w.u(1, 1)
	out := []byte{header}
	zeros := 0
	for _, c := range w.b {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// spsSpec describes a crafted SPS.
type spsSpec struct {
	profile, level   byte
	chroma           uint64 // high profiles only
	separate         bool
	scaling          bool
	poc              uint64
	pocCycle         int
	wMBs, hMapUnits  uint64
	frameMBsOnly     bool
	crop             [4]uint64 // left, right, top, bottom
	vuiReorder       int       // -1: no VUI
	vuiHRD           bool
	numRefFramesPlus uint64
}

func (s spsSpec) build() []byte {
	var w bitWriter
	w.u(8, uint64(s.profile))
	w.u(8, 0)
	w.u(8, uint64(s.level))
	w.ue(0) // sps id
	if highProfile(s.profile) {
		w.ue(s.chroma)
		if s.chroma == 3 {
			w.u(1, b2u(s.separate))
		}
		w.ue(2) // 10-bit luma
		w.ue(2) // 10-bit chroma
		w.u(1, 0)
		w.u(1, b2u(s.scaling))
		if s.scaling {
			lists := 8
			if s.chroma == 3 {
				lists = 12
			}
			for i := 0; i < lists; i++ {
				w.u(1, 1)
				size := 16
				if i >= 6 {
					size = 64
				}
				for j := 0; j < size; j++ {
					w.se(int64(j%5) - 2)
				}
			}
		}
	}
	w.ue(0) // log2_max_frame_num_minus4
	w.ue(s.poc)
	switch s.poc {
	case 0:
		w.ue(2)
	case 1:
		w.u(1, 0)
		w.se(-3)
		w.se(1)
		w.ue(uint64(s.pocCycle))
		for i := 0; i < s.pocCycle; i++ {
			w.se(int64(i))
		}
	}
	w.ue(s.numRefFramesPlus + 1)
	w.u(1, 0)
	w.ue(s.wMBs - 1)
	w.ue(s.hMapUnits - 1)
	w.u(1, b2u(s.frameMBsOnly))
	if !s.frameMBsOnly {
		w.u(1, 0)
	}
	w.u(1, 1)
	cropped := s.crop != [4]uint64{}
	w.u(1, b2u(cropped))
	if cropped {
		for _, c := range s.crop {
			w.ue(c)
		}
	}
	w.u(1, b2u(s.vuiReorder >= 0))
	if s.vuiReorder >= 0 {
		w.u(1, 1)   // aspect ratio
		w.u(8, 255) // extended SAR
		w.u(32, 1<<16|1)
		w.u(1, 0)    // overscan
		w.u(1, 1)    // video signal
		w.u(4, 5<<1) // format, full range
		w.u(1, 1)
		w.u(24, 0x010101)
		w.u(1, 1) // chroma loc
		w.ue(0)
		w.ue(0)
		w.u(1, 1) // timing
		w.u(32, 1)
		w.u(32, 50)
		w.u(1, 1)
		w.u(1, b2u(s.vuiHRD)) // nal hrd
		if s.vuiHRD {
			w.ue(1)
			w.u(8, 0)
			for i := 0; i < 2; i++ {
				w.ue(1000)
				w.ue(2000)
				w.u(1, 0)
			}
			w.u(20, 0)
		}
		w.u(1, 0) // vcl hrd
		if s.vuiHRD {
			w.u(1, 0)
		}
		w.u(1, 0) // pic struct
		w.u(1, 1) // bitstream restriction
		w.u(1, 1)
		w.ue(2)
		w.ue(1)
		w.ue(16)
		w.ue(16)
		w.ue(uint64(s.vuiReorder))
		w.ue(4)
	}
	return w.nal(0x67)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// ppsNAL is a minimal PPS: id 0, SPS id 0, CAVLC, rest zero-ish.
var ppsNAL = []byte{0x68, 0xce, 0x38, 0x80}

// avccOf builds an avcC record with the given length size and raw header
// bytes taken from the SPS, reserved bits set as 14496-15 wants.
func avccOf(lengthSize int, sps, pps [][]byte) []byte {
	hdr := append(append([]byte(nil), sps[0]...), 0, 0, 0)
	rec := []byte{1, hdr[1], hdr[2], hdr[3], 0xFC | byte(lengthSize-1), 0xE0 | byte(len(sps))}
	for _, s := range sps {
		rec = binary.BigEndian.AppendUint16(rec, uint16(len(s)))
		rec = append(rec, s...)
	}
	rec = append(rec, byte(len(pps)))
	for _, p := range pps {
		rec = binary.BigEndian.AppendUint16(rec, uint16(len(p)))
		rec = append(rec, p...)
	}
	return rec
}

func craftedAVC(s spsSpec) []byte {
	return avccOf(4, [][]byte{s.build()}, [][]byte{ppsNAL})
}

// annexBOf joins NAL units with four-byte start codes.
func annexBOf(nals ...[]byte) []byte {
	var b []byte
	for _, n := range nals {
		b = append(b, 0, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

var base1080 = spsSpec{profile: 100, level: 40, chroma: 1, wMBs: 120, hMapUnits: 68, frameMBsOnly: true, crop: [4]uint64{0, 0, 0, 4}, vuiReorder: 2}

func with(s spsSpec, f func(*spsSpec)) spsSpec { f(&s); return s }

const (
	inv  = kvs.InvalidCodecPrivateData
	miss = kvs.MissingCodecPrivateData
	uns  = kvs.UnsupportedStreamMediaType
)

// recordedCases are the rows made from the recordings' CodecPrivate: the
// records as KVS stored them, then variants and damage of them.
func recordedCases(r recordings) []trackCase {
	return []trackCase{
		{name: "real/output_get_media main 640x360 reserved cleared", codecID: CodecIDAVC, private: r.getMedia,
			codec: "avc1", width: 640, height: 360, profile: 77, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "real/clusters high 640x480 no trailer", codecID: CodecIDAVC, private: r.clusters,
			codec: "avc1", width: 640, height: 480, profile: 100, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "real/non-increasing high 960x720", codecID: CodecIDAVC, private: r.nonIncreasing,
			codec: "avc1", width: 960, height: 720, profile: 100, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "real/sdk baseline 640x480", codecID: CodecIDAVC, private: r.sdk,
			codec: "avc1", width: 640, height: 480, profile: 66, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "real/vogels constrained baseline 640x480", codecID: CodecIDAVC, private: r.vogels,
			codec: "avc1", width: 640, height: 480, profile: 66, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "real/vogels doc spelling of the codec ID", codecID: CodecIDAVCDoc, private: r.vogels,
			codec: "avc1", width: 640, height: 480, profile: 66, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "real/annex-b cpd from frame-001", codecID: CodecIDAVC, private: r.annexB,
			codec: "avc1", width: 640, height: 480, profile: 100, lengthSize: 0, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "avcc/1-byte lengths", codecID: CodecIDAVC, private: withByte(r.sdk, 4, 0xFC),
			codec: "avc1", width: 640, height: 480, profile: 66, lengthSize: 1, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "avcc/2-byte lengths reserved cleared", codecID: CodecIDAVC, private: withByte(r.getMedia, 4, 0x01),
			codec: "avc1", width: 640, height: 360, profile: 77, lengthSize: 2, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "avcc/high trailer", codecID: CodecIDAVC, private: append(append([]byte(nil), r.clusters...), 0xFD, 0xF8, 0xF8, 0),
			codec: "avc1", width: 640, height: 480, profile: 100, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "avcc/high trailer with sps ext", codecID: CodecIDAVC, private: append(append([]byte(nil), r.clusters...), 0xFD, 0xF8, 0xF8, 1, 0, 2, 0x6d, 0x80),
			codec: "avc1", width: 640, height: 480, profile: 100, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},
		{name: "err/avcc version 0", codecID: CodecIDAVC, private: withByte(r.sdk, 0, 0), err: inv},
		{name: "err/avcc truncated header", codecID: CodecIDAVC, private: r.sdk[:6], err: inv},
		{name: "err/avcc truncated in sps", codecID: CodecIDAVC, private: r.sdk[:20], err: inv},
		{name: "err/avcc truncated before numPPS", codecID: CodecIDAVC, private: r.clusters[:22], err: inv},
		{name: "err/avcc truncated in pps", codecID: CodecIDAVC, private: r.clusters[:len(r.clusters)-1], err: inv},
		{name: "err/avcc sps length overruns", codecID: CodecIDAVC, private: withByte(r.sdk, 7, 0xff), err: inv},
		{name: "err/avcc numSPS 0", codecID: CodecIDAVC, private: withByte(r.sdk, 5, 0xE0), err: inv},
		{name: "err/avcc numPPS 0", codecID: CodecIDAVC, private: withByte(r.clusters, 22, 0)[:23], err: inv},
		{name: "err/avcc length size 3", codecID: CodecIDAVC, private: withByte(r.sdk, 4, 0xFE), err: inv},
		{name: "err/avcc sps is a pps", codecID: CodecIDAVC, private: withByte(r.clusters, 8, 0x28), err: inv},
		{name: "err/avcc sps ext overruns", codecID: CodecIDAVC, private: append(append([]byte(nil), r.clusters...), 0xFD, 0xF8, 0xF8, 1, 0, 9, 0x6d), err: inv},
		{name: "err/annex-b cpd without pps", codecID: CodecIDAVC, private: r.annexB[:40], err: inv},
	}
}

var trackCases = []trackCase{
	// The AAC track of producer/vogels_480.mkv: AAC-LC 48 kHz stereo, the
	// well-known 11 90, generic enough to commit.
	{name: "real/vogels aac lc 48k stereo", codecID: CodecIDAAC, private: mustHex("1190"),
		codec: "mp4a", sampleRate: 48000, channels: 2, frameLength: 1024},

	// avcC variants.
	{name: "avcc/two sps two pps", codecID: CodecIDAVC, private: avccOf(4, [][]byte{base1080.build(), with(base1080, func(s *spsSpec) { s.crop = [4]uint64{} }).build()}, [][]byte{ppsNAL, ppsNAL}),
		codec: "avc1", width: 1920, height: 1080, profile: 100, lengthSize: 4, numSPS: 2, numPPS: 2, reorder: 2},

	// Crafted SPS facts.
	{name: "sps/1080p high10 crop vui reorder", codecID: CodecIDAVC, private: craftedAVC(base1080),
		codec: "avc1", width: 1920, height: 1080, profile: 100, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "sps/1080i field crop", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) { s.frameMBsOnly = false; s.hMapUnits = 34; s.crop = [4]uint64{0, 0, 0, 2} })),
		codec: "avc1", width: 1920, height: 1080, profile: 100, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "sps/422 crop", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) { s.profile = 122; s.chroma = 2; s.crop = [4]uint64{2, 2, 4, 4} })),
		codec: "avc1", width: 1912, height: 1080, profile: 122, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "sps/444 separate planes scaling", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) {
		s.profile = 244
		s.chroma = 3
		s.separate = true
		s.scaling = true
		s.crop = [4]uint64{0, 0, 0, 8}
	})),
		codec: "avc1", width: 1920, height: 1080, profile: 244, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "sps/monochrome scaling", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) { s.chroma = 0; s.scaling = true; s.crop = [4]uint64{0, 0, 0, 8} })),
		codec: "avc1", width: 1920, height: 1080, profile: 100, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "sps/poc type 1 cycle hrd", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) { s.poc = 1; s.pocCycle = 200; s.vuiHRD = true; s.vuiReorder = 1 })),
		codec: "avc1", width: 1920, height: 1080, profile: 100, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 1},
	{name: "sps/poc type 0 no vui reorder unknown", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) { s.vuiReorder = -1 })),
		codec: "avc1", width: 1920, height: 1080, profile: 100, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: -1},
	{name: "sps/poc type 2 baseline no vui", codecID: CodecIDAVC, private: craftedAVC(spsSpec{profile: 66, level: 30, poc: 2, wMBs: 40, hMapUnits: 30, frameMBsOnly: true, vuiReorder: -1}),
		codec: "avc1", width: 640, height: 480, profile: 66, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},
	{name: "sps/largest picture 16880 wide", codecID: CodecIDAVC, private: craftedAVC(spsSpec{profile: 66, level: 62, poc: 2, wMBs: 1055, hMapUnits: 132, frameMBsOnly: true, vuiReorder: -1}),
		codec: "avc1", width: 16880, height: 2112, profile: 66, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 0},

	// AAC.
	{name: "aac/lc 44.1k stereo", codecID: CodecIDAAC, private: mustHex("1210"),
		codec: "mp4a", sampleRate: 44100, channels: 2, frameLength: 1024},
	{name: "aac/legacy id A_AAC/MPEG4/LC", codecID: "A_AAC/MPEG4/LC", private: mustHex("1210"),
		codec: "mp4a", sampleRate: 44100, channels: 2, frameLength: 1024},
	{name: "aac/legacy id A_AAC/MPEG2/LC", codecID: "A_AAC/MPEG2/LC", private: mustHex("1190"),
		codec: "mp4a", sampleRate: 48000, channels: 2, frameLength: 1024},
	{name: "aac/main A_AAC/MPEG4/MAIN", codecID: "A_AAC/MPEG4/MAIN", private: mustHex("0a10"),
		codec: "mp4a", sampleRate: 44100, channels: 2, frameLength: 1024},
	{name: "aac/960 frame length", codecID: CodecIDAAC, private: mustHex("1194"),
		codec: "mp4a", sampleRate: 48000, channels: 2, frameLength: 960},
	{name: "aac/he-aac explicit sbr 24k->48k", codecID: CodecIDAAC, private: mustHex("2b118800"),
		codec: "mp4a", sampleRate: 48000, channels: 2, frameLength: 2048},
	{name: "aac/he-aac v2 ps mono->stereo", codecID: CodecIDAAC, private: mustHex("eb098800"),
		codec: "mp4a", sampleRate: 48000, channels: 2, frameLength: 2048},
	{name: "aac/explicit 24-bit rate", codecID: CodecIDAAC, private: mustHex("17805dc010"),
		codec: "mp4a", sampleRate: 48000, channels: 2, frameLength: 1024},
	{name: "aac/channel config 0 from hint", codecID: CodecIDAAC, private: mustHex("1180"), hint: Hint{Channels: 6, SamplingFrequency: 48000},
		codec: "mp4a", sampleRate: 48000, channels: 6, frameLength: 1024},

	// Errors.
	{name: "err/hevc one byte", codecID: "V_MPEGH/ISO/HEVC", private: []byte{1}, err: inv},
	{name: "err/acm all zero", codecID: "A_MS/ACM", private: make([]byte, 18), err: uns},
	{name: "err/vfw fourcc", codecID: "V_MS/VFW/FOURCC", private: make([]byte, 40), err: uns},
	{name: "err/vp9", codecID: "V_VP9", err: uns},
	{name: "err/avc empty", codecID: CodecIDAVC, err: miss},
	{name: "err/aac empty", codecID: CodecIDAAC, hint: Hint{Channels: 2, SamplingFrequency: 48000}, err: miss},
	{name: "err/garbage", codecID: CodecIDAVC, private: []byte("not an avcC record at all"), err: inv},
	{name: "err/sps too short", codecID: CodecIDAVC, private: avccOf(4, [][]byte{{0x67, 0x42, 0x00}}, [][]byte{ppsNAL}), err: inv},
	{name: "err/sps truncated in size", codecID: CodecIDAVC, private: avccOf(4, [][]byte{{0x67, 0x42, 0x00, 0x1e, 0x89}}, [][]byte{ppsNAL}), err: inv},
	{name: "err/sps crop eats picture", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) { s.crop = [4]uint64{480, 480, 0, 0} })), err: inv},
	{name: "err/sps too wide", codecID: CodecIDAVC, private: craftedAVC(spsSpec{profile: 66, level: 62, poc: 2, wMBs: 1056, hMapUnits: 16, frameMBsOnly: true, vuiReorder: -1}), err: inv},
	{name: "err/sps too many macroblocks", codecID: CodecIDAVC, private: craftedAVC(spsSpec{profile: 66, level: 62, poc: 2, wMBs: 1000, hMapUnits: 1000, frameMBsOnly: true, vuiReorder: -1}), err: inv},
	{name: "err/sps chroma format 4", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) { s.chroma = 4 })), err: inv},
	{name: "err/sps poc type 3", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) { s.poc = 3 })), err: inv},
	{name: "err/sps poc cycle 256", codecID: CodecIDAVC, private: craftedAVC(with(base1080, func(s *spsSpec) { s.poc = 1; s.pocCycle = 256 })), err: inv},
	{name: "err/annex-b cpd only start codes", codecID: CodecIDAVC, private: []byte{0, 0, 0, 1, 0, 0, 1}, err: inv},
	{name: "err/aac one byte", codecID: CodecIDAAC, private: []byte{0x11}, err: inv},
	{name: "err/aac reserved frequency index", codecID: CodecIDAAC, private: mustHex("1690"), err: inv},
	{name: "err/aac reserved channel config", codecID: CodecIDAAC, private: mustHex("11c0"), err: inv},
	{name: "err/aac usac object type", codecID: CodecIDAAC, private: mustHex("f94640"), err: inv},
	{name: "err/aac channel config 0 no hint", codecID: CodecIDAAC, private: mustHex("1180"), err: inv},
	{name: "err/aac sbr rate not 1x or 2x", codecID: CodecIDAAC, private: mustHex("29920800"), err: inv},
	{name: "err/aac explicit rate 0", codecID: CodecIDAAC, private: mustHex("1780000010"), err: inv},
}

func (c trackCase) String() string { return fmt.Sprintf("%s(%s)", c.name, c.codecID) }

// HEVC CodecPrivate made by this project: ffmpeg (libx265, 3 B-frames) on
// testsrc2 into Matroska, the hvcC cut after its VPS, SPS and PPS arrays
// (libx265 appends an SEI array with its 2 KB settings string).
var (
	// Main, 176x144.
	cpdX265Main = mustHex("0101600000009000000000003cf000fcfdf8f800000f03200001001840010c01ffff01600000030090000003000003003c959409210001002a42010101600000030090000003000003003ca0162024596565924caf016808000003000800000300c84022000100074401c172b46240")
	// Main 10, 174x142: coded 176x144 with a conformance window.
	cpdX265Main10Odd = mustHex("0102200000009000000000003cf000fcfdfafa00000f03200001001840010c01ffff02200000030090000003000003003c959409210001002a42010102200000030090000003000003003ca0162024754d96565924caf0168080000003008000000c8422000100074401c172b46240")
	// Main 4:2:2 10 (range extensions), 176x144.
	cpdX265Rext422 = mustHex("0104080000009d08000000003cf000fcfefafa00000f03200001001740010c01ffff0408000003009d0800000300003c95940921000100284201010408000003009d0800000300003cb01620244d96565924caf0168080000003008000000c8422000100074401c172b46240")
)

// hevcSPSSpec describes a crafted H.265 SPS.
type hevcSPSSpec struct {
	profile        byte
	subLayers      int // sps_max_sub_layers_minus1
	subInfo        bool
	chroma         uint64
	separate       bool
	w, h           uint64
	win            [4]uint64
	bitDepth       uint64
	reorder, dpb   uint64
	minCb, diffCb  uint64 // log2 minus 3, log2 diff
	layer          byte
	orderingForAll bool
}

func (s hevcSPSSpec) build() []byte {
	var w bitWriter
	w.u(4, 0)
	w.u(3, uint64(s.subLayers))
	w.u(1, 1)
	w.u(2, 0)
	w.u(1, 0)
	w.u(5, uint64(s.profile))
	w.u(32, 1<<(31-uint(s.profile&31)))
	w.u(16, 0x9000)
	w.u(32, 0)
	w.u(8, 93)
	for i := 0; i < s.subLayers; i++ {
		w.u(1, b2u(s.subInfo))
		w.u(1, b2u(s.subInfo))
	}
	if s.subLayers > 0 {
		w.u(2*(8-s.subLayers), 0)
	}
	for i := 0; i < s.subLayers; i++ {
		if s.subInfo {
			w.u(8, uint64(s.profile))
			w.u(32, 0x40000000)
			w.u(48, 0)
			w.u(8, 90)
		}
	}
	w.ue(0) // sps id
	w.ue(s.chroma)
	if s.chroma == 3 {
		w.u(1, b2u(s.separate))
	}
	w.ue(s.w)
	w.ue(s.h)
	cropped := s.win != [4]uint64{}
	w.u(1, b2u(cropped))
	if cropped {
		for _, c := range s.win {
			w.ue(c)
		}
	}
	w.ue(s.bitDepth - 8)
	w.ue(s.bitDepth - 8)
	w.ue(4)
	w.u(1, b2u(s.orderingForAll))
	first := s.subLayers
	if s.orderingForAll {
		first = 0
	}
	for i := first; i <= s.subLayers; i++ {
		w.ue(s.dpb)
		w.ue(s.reorder)
		w.ue(0)
	}
	w.ue(s.minCb)
	w.ue(s.diffCb)
	w.u(8, 0xA5) // rest of the SPS, unread
	n := w.nal(hevcNALSPS << 1)
	return append([]byte{n[0], 0x01 | s.layer<<3}, n[1:]...)
}

var (
	hevcVPSNAL = mustHex("40010c01ffff01600000030090000003000003003c959409")
	hevcPPSNAL = mustHex("4401c172b46240")
	base1080h  = hevcSPSSpec{profile: 1, chroma: 1, w: 1920, h: 1088, win: [4]uint64{0, 0, 0, 4}, bitDepth: 8, reorder: 2, dpb: 4, minCb: 0, diffCb: 3}
)

func withH(s hevcSPSSpec, f func(*hevcSPSSpec)) hevcSPSSpec { f(&s); return s }

// hvccOf builds an hvcC record: header from hdr (23 bytes, numOfArrays
// rewritten), then one array per NAL unit list, typed by their first NAL.
func hvccOf(lengthSize int, lists ...[][]byte) []byte {
	rec := append([]byte(nil), cpdX265Main[:23]...)
	rec[21] = rec[21]&^3 | byte(lengthSize-1)
	rec[22] = byte(len(lists))
	for _, l := range lists {
		rec = append(rec, hevcNALType(l[0][0]))
		rec = binary.BigEndian.AppendUint16(rec, uint16(len(l)))
		for _, n := range l {
			rec = binary.BigEndian.AppendUint16(rec, uint16(len(n)))
			rec = append(rec, n...)
		}
	}
	return rec
}

func craftedHEVC(s hevcSPSSpec) []byte {
	return hvccOf(4, [][]byte{hevcVPSNAL}, [][]byte{s.build()}, [][]byte{hevcPPSNAL})
}

// waveFormat builds a WAVEFORMATEX; cb < 0 leaves cbSize out (16 bytes).
func waveFormat(tag, ch uint16, rate, avg uint32, align, bits uint16, cb int, extra ...byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, tag)
	b = binary.LittleEndian.AppendUint16(b, ch)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, avg)
	b = binary.LittleEndian.AppendUint16(b, align)
	b = binary.LittleEndian.AppendUint16(b, bits)
	if cb >= 0 {
		b = binary.LittleEndian.AppendUint16(b, uint16(cb))
	}
	return append(b, extra...)
}

func init() {
	trackCases = append(trackCases, hevcG711Cases...)
}

var hevcG711Cases = []trackCase{
	// H.265: ffmpeg-made records.
	{name: "real/x265 main 176x144", codecID: CodecIDHEVC, private: cpdX265Main,
		codec: "hvc1", width: 176, height: 144, profile: 1, bitDepth: 8, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "real/x265 main10 174x142 conformance window", codecID: CodecIDHEVC, private: cpdX265Main10Odd,
		codec: "hvc1", width: 174, height: 142, profile: 2, bitDepth: 10, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "real/x265 rext 4:2:2 10", codecID: CodecIDHEVC, private: cpdX265Rext422,
		codec: "hvc1", width: 176, height: 144, profile: 4, bitDepth: 10, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/doc spelling of the codec ID", codecID: CodecIDHEVCDoc, private: cpdX265Main,
		codec: "hvc1", width: 176, height: 144, profile: 1, bitDepth: 8, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/annex-b cpd", codecID: CodecIDHEVC, private: annexBOf(hevcVPSNAL, cpdX265Main[57:99], hevcPPSNAL),
		codec: "hvc1", width: 176, height: 144, profile: 1, bitDepth: 8, lengthSize: 0, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/2-byte lengths", codecID: CodecIDHEVC, private: withByte(cpdX265Main, 21, 0x0d),
		codec: "hvc1", width: 176, height: 144, profile: 1, bitDepth: 8, lengthSize: 2, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/1-byte lengths reserved cleared", codecID: CodecIDHEVC, private: withByte(withByte(cpdX265Main, 21, 0x0c), 16, 0x01),
		codec: "hvc1", width: 176, height: 144, profile: 1, bitDepth: 8, lengthSize: 1, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/no vps in record: hev1", codecID: CodecIDHEVC, private: hvccOf(4, [][]byte{base1080h.build()}, [][]byte{hevcPPSNAL}),
		codec: "hev1", width: 1920, height: 1080, profile: 1, bitDepth: 8, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/no arrays: hev1 size from hint", codecID: CodecIDHEVC, private: hvccOf(4), hint: Hint{PixelWidth: 640, PixelHeight: 480},
		codec: "hev1", width: 640, height: 480, profile: 1, bitDepth: 8, lengthSize: 4, reorder: 0},
	{name: "hevc/empty array and sei array kept", codecID: CodecIDHEVC, private: withByte(append(hvccOf(4, [][]byte{hevcVPSNAL}, [][]byte{base1080h.build()}, [][]byte{hevcPPSNAL}, [][]byte{{0x4e, 0x01, 0x05, 0x01, 0x80}}), 0x21, 0, 0), 22, 5),
		codec: "hvc1", width: 1920, height: 1080, profile: 1, bitDepth: 8, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/1080p sub-layers with profiles", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.subLayers = 6; s.subInfo = true; s.orderingForAll = true })),
		codec: "hvc1", width: 1920, height: 1080, profile: 1, bitDepth: 8, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/4:2:2 window in chroma units", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.profile = 4; s.chroma = 2; s.win = [4]uint64{2, 2, 4, 4} })),
		codec: "hvc1", width: 1912, height: 1080, profile: 4, bitDepth: 8, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/4:4:4 separate planes luma units", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.profile = 4; s.chroma = 3; s.separate = true; s.win = [4]uint64{0, 0, 0, 8} })),
		codec: "hvc1", width: 1920, height: 1080, profile: 4, bitDepth: 8, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/monochrome 12-bit", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.profile = 4; s.chroma = 0; s.bitDepth = 12; s.win = [4]uint64{0, 0, 0, 8} })),
		codec: "hvc1", width: 1920, height: 1080, profile: 4, bitDepth: 12, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},
	{name: "hevc/largest picture 16888 wide", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.w = 16888; s.h = 2104; s.win = [4]uint64{} })),
		codec: "hvc1", width: 16888, height: 2104, profile: 1, bitDepth: 8, lengthSize: 4, numSPS: 1, numPPS: 1, reorder: 2},

	// G.711.
	{name: "g711/sdk a-law 8k mono quirks", codecID: CodecIDACM, private: waveFormat(6, 1, 8000, 1000, 1, 0, 0),
		codec: "alaw", sampleRate: 8000, channels: 1},
	{name: "g711/mu-law 8k mono proper", codecID: CodecIDACM, private: waveFormat(7, 1, 8000, 8000, 1, 8, 0),
		codec: "ulaw", sampleRate: 8000, channels: 1},
	{name: "g711/a-law 16k stereo", codecID: CodecIDACM, private: waveFormat(6, 2, 16000, 4000, 2, 0, 0),
		codec: "alaw", sampleRate: 16000, channels: 2},
	{name: "g711/a-law 192k block align 0", codecID: CodecIDACM, private: waveFormat(6, 1, 192000, 0, 0, 0, 0),
		codec: "alaw", sampleRate: 192000, channels: 1},
	{name: "g711/16-byte waveformat", codecID: CodecIDACM, private: waveFormat(7, 1, 8000, 8000, 1, 8, -1),
		codec: "ulaw", sampleRate: 8000, channels: 1},
	{name: "g711/cbSize extra bytes", codecID: CodecIDACM, private: waveFormat(6, 1, 8000, 8000, 1, 8, 2, 0xAB, 0xCD),
		codec: "alaw", sampleRate: 8000, channels: 1},

	// H.265 errors.
	{name: "err/hevc empty", codecID: CodecIDHEVC, err: miss},
	{name: "err/hvcc version 0", codecID: CodecIDHEVC, private: withByte(cpdX265Main, 0, 0), err: inv},
	{name: "err/hvcc truncated header", codecID: CodecIDHEVC, private: cpdX265Main[:22], err: inv},
	{name: "err/hvcc truncated in array header", codecID: CodecIDHEVC, private: cpdX265Main[:25], err: inv},
	{name: "err/hvcc truncated in nal", codecID: CodecIDHEVC, private: cpdX265Main[:len(cpdX265Main)-1], err: inv},
	{name: "err/hvcc truncated before last array", codecID: CodecIDHEVC, private: cpdX265Main[:len(cpdX265Main)-12], err: inv},
	{name: "err/hvcc length size 3", codecID: CodecIDHEVC, private: withByte(cpdX265Main, 21, 0x0e), err: inv},
	{name: "err/hvcc nal count overruns", codecID: CodecIDHEVC, private: withByte(cpdX265Main, 25, 0x40), err: inv},
	{name: "err/hvcc nal length overruns", codecID: CodecIDHEVC, private: withByte(cpdX265Main, 26, 0x7f), err: inv},
	{name: "err/hvcc nal type differs from array", codecID: CodecIDHEVC, private: withByte(cpdX265Main, 23, 0x21), err: inv},
	{name: "err/hvcc coded slice array", codecID: CodecIDHEVC, private: hvccOf(4, [][]byte{{0x26, 0x01, 0xaf}}), err: inv},
	{name: "err/hvcc one-byte nal", codecID: CodecIDHEVC, private: withByte(append(hvccOf(4), 0x20, 0, 1, 0, 1, 0x40), 22, 1), err: inv},
	{name: "err/hvcc too many arrays", codecID: CodecIDHEVC, private: withByte(cpdX265Main, 22, 65), err: inv},
	{name: "err/hevc annex-b without vps", codecID: CodecIDHEVC, private: annexBOf(cpdX265Main[57:99], hevcPPSNAL), err: inv},
	{name: "err/hevc sps chroma 4", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.chroma = 4 })), err: inv},
	{name: "err/hevc sps 7 sub-layers minus one", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.subLayers = 7 })), err: inv},
	{name: "err/hevc sps too wide", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.w = 16896; s.h = 64; s.win = [4]uint64{} })), err: inv},
	{name: "err/hevc sps too many samples", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.w = 8192; s.h = 8192; s.win = [4]uint64{} })), err: inv},
	{name: "err/hevc sps width not multiple of min cb", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.w = 1916 })), err: inv},
	{name: "err/hevc sps window eats picture", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.win = [4]uint64{480, 480, 0, 0} })), err: inv},
	{name: "err/hevc sps bit depth 17", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.bitDepth = 17 })), err: inv},
	{name: "err/hevc sps bit depth 16 does not fit hvcC", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.bitDepth = 16 })), err: inv},
	{name: "err/hevc sps reorder beyond dpb", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.reorder = 5 })), err: inv},
	{name: "err/hevc sps ctb 128", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.diffCb = 4 })), err: inv},
	{name: "err/hevc sps layer 1", codecID: CodecIDHEVC, private: craftedHEVC(withH(base1080h, func(s *hevcSPSSpec) { s.layer = 1 })), err: inv},
	{name: "err/hevc sps truncated", codecID: CodecIDHEVC, private: hvccOf(4, [][]byte{hevcVPSNAL}, [][]byte{cpdX265Main[57:70]}, [][]byte{hevcPPSNAL}), err: inv},

	// G.711 errors.
	{name: "err/acm empty", codecID: CodecIDACM, err: miss},
	{name: "err/acm pcm tag", codecID: CodecIDACM, private: waveFormat(1, 1, 8000, 16000, 2, 16, 0), err: uns},
	{name: "err/acm extensible tag", codecID: CodecIDACM, private: waveFormat(0xFFFE, 1, 8000, 8000, 1, 8, 22, make([]byte, 22)...), err: uns},
	{name: "err/acm 10 bytes", codecID: CodecIDACM, private: waveFormat(6, 1, 8000, 8000, 1, 8, 0)[:10], err: inv},
	{name: "err/acm 17 bytes", codecID: CodecIDACM, private: waveFormat(6, 1, 8000, 8000, 1, 8, 0)[:17], err: inv},
	{name: "err/acm cbSize overruns", codecID: CodecIDACM, private: waveFormat(6, 1, 8000, 8000, 1, 8, 4, 1, 2), err: inv},
	{name: "err/acm 0 channels", codecID: CodecIDACM, private: waveFormat(6, 0, 8000, 8000, 1, 8, 0), err: inv},
	{name: "err/acm 3 channels", codecID: CodecIDACM, private: waveFormat(6, 3, 8000, 24000, 3, 8, 0), err: inv},
	{name: "err/acm rate 7999", codecID: CodecIDACM, private: waveFormat(6, 1, 7999, 7999, 1, 8, 0), err: inv},
	{name: "err/acm rate 192001", codecID: CodecIDACM, private: waveFormat(7, 1, 192001, 0, 1, 8, 0), err: inv},
	{name: "err/acm block align 2 for mono", codecID: CodecIDACM, private: waveFormat(6, 1, 8000, 16000, 2, 16, 0), err: inv},
}
