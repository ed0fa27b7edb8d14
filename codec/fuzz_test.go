package codec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// The fuzz targets take their seeds from the same tables as the unit tests;
// TestWriteFuzzSeeds also writes them to testdata/fuzz so that plain
// `go test` runs them and the fuzzer starts from them.

// lengthSizes maps a fuzzed selector to a length size, including the
// invalid 3 so that rejection is exercised.
var lengthSizes = [...]int{0, 1, 2, 4, 3}

func lengthSizeSel(ls int) uint8 {
	for i, v := range lengthSizes {
		if v == ls {
			return uint8(i)
		}
	}
	return 0
}

func FuzzParseTrack(f *testing.F) {
	for _, tc := range availableTrackCases() {
		f.Add(tc.codecID, tc.private, tc.hint.Channels)
	}
	f.Fuzz(func(t *testing.T, codecID string, private []byte, channels uint64) {
		var tr *Track
		var err error
		bounded(t, "ParseTrack", len(codecID)+len(private), func() { tr, err = ParseTrack(codecID, private, Hint{Channels: channels}) })
		if err != nil {
			var ke *kvs.Error
			if !errors.As(err, &ke) {
				t.Fatalf("error %v is not a *kvs.Error", err)
			}
			switch ke.Kind {
			case kvs.MissingCodecPrivateData, kvs.InvalidCodecPrivateData, kvs.UnsupportedStreamMediaType:
			default:
				t.Fatalf("unexpected kind %v: %v", ke.Kind, err)
			}
			if tr != nil {
				t.Fatal("track returned with an error")
			}
			return
		}
		switch {
		case tr.HEVC != nil:
			checkFuzzedHEVC(t, tr)
		case tr.G711 != nil:
			if tr.SampleRate < minG711SampleRate || tr.SampleRate > maxG711SampleRate || tr.Channels == 0 || tr.Channels > maxG711Channels ||
				tr.G711.Channels != tr.Channels || tr.FrameLength != 0 || tr.Kind != Audio {
				t.Fatalf("G.711 facts out of range: %+v", tr)
			}
			if (tr.SampleEntry == "alaw") != (tr.G711.FormatTag == WaveFormatALaw) {
				t.Fatalf("codec %s for tag %d", tr.SampleEntry, tr.G711.FormatTag)
			}
		case tr.Kind == Video:
			c := tr.AVC
			if tr.Width == 0 || tr.Height == 0 || tr.Width > maxPictureDimension || tr.Height > maxPictureDimension {
				t.Fatalf("size %dx%d out of limits", tr.Width, tr.Height)
			}
			if len(c.SPS) == 0 || len(c.PPS) == 0 || len(c.SPS) > maxSPSCount || len(c.PPS) > maxPPSCount {
				t.Fatalf("%d SPS / %d PPS", len(c.SPS), len(c.PPS))
			}
			if !validLengthSize(c.LengthSize) || c.LengthSize == 3 {
				t.Fatalf("length size %d", c.LengthSize)
			}
			// The written record reads back to the same configuration.
			again, err := ParseTrack(CodecIDAVC, c.Record, Hint{})
			if err != nil {
				t.Fatalf("own record rejected: %v", err)
			}
			if !bytes.Equal(again.AVC.Record, c.Record) || again.Width != tr.Width || again.Height != tr.Height {
				t.Fatal("record does not round-trip")
			}
		case tr.Kind == Audio:
			if tr.SampleRate < minAudioSampleRate || tr.SampleRate > maxAudioSampleRate {
				t.Fatalf("sample rate %d", tr.SampleRate)
			}
			if tr.Channels == 0 || tr.Channels > maxAudioChannels {
				t.Fatalf("channels %d", tr.Channels)
			}
			switch tr.FrameLength {
			case 960, 1024, 1920, 2048:
			default:
				t.Fatalf("frame length %d", tr.FrameLength)
			}
			if !bytes.Equal(tr.AAC.Config, private) {
				t.Fatal("config bytes changed")
			}
		default:
			t.Fatalf("kind %v", tr.Kind)
		}
	})
}

// checkFuzzedHEVC holds an accepted H.265 track to its invariants: facts in
// range, and a record that reads back to itself.
func checkFuzzedHEVC(t *testing.T, tr *Track) {
	c := tr.HEVC
	if tr.Kind != Video || tr.SampleEntry != c.sampleEntry() {
		t.Fatalf("kind %v codec %s", tr.Kind, tr.SampleEntry)
	}
	if !validLengthSize(c.LengthSize) || c.LengthSize == 3 {
		t.Fatalf("length size %d", c.LengthSize)
	}
	if c.InBand != (len(c.VPS) == 0 || len(c.SPS) == 0 || len(c.PPS) == 0) {
		t.Fatal("InBand disagrees with the parameter sets")
	}
	if len(c.SPS) > 0 {
		s := c.SPSInfo
		if s.Width <= 0 || s.Height <= 0 || s.Width > s.CodedWidth || s.Height > s.CodedHeight ||
			s.CodedWidth > maxHEVCPictureDimension || s.CodedHeight > maxHEVCPictureDimension ||
			s.CodedWidth*s.CodedHeight > maxHEVCLumaPictureSize || int(tr.Width) != s.Width || int(tr.Height) != s.Height {
			t.Fatalf("size %+v out of limits", s)
		}
	}
	again, err := ParseTrack(CodecIDHEVC, c.Record, Hint{PixelWidth: uint64(tr.Width), PixelHeight: uint64(tr.Height)})
	if err != nil {
		t.Fatalf("own record rejected: %v", err)
	}
	if !bytes.Equal(again.HEVC.Record, c.Record) || again.Width != tr.Width || again.Height != tr.Height || again.SampleEntry != tr.SampleEntry {
		t.Fatal("record does not round-trip")
	}
}

// FuzzAVCConfig reads arbitrary bytes as the CodecPrivate of an H.264 track
// (an avcC record with its SPS and PPS): a typed error, or facts within the
// limits and a record that reads back to itself.
func FuzzAVCConfig(f *testing.F) {
	for _, tc := range availableTrackCases() {
		if tc.codecID == CodecIDAVC {
			f.Add(tc.private)
		}
	}
	f.Fuzz(func(t *testing.T, private []byte) {
		var tr *Track
		var err error
		bounded(t, "ParseTrack", len(private), func() { tr, err = ParseTrack(CodecIDAVC, private, Hint{}) })
		if err != nil {
			if k := kvs.KindOf(err); k != kvs.InvalidCodecPrivateData && k != kvs.MissingCodecPrivateData {
				t.Fatalf("kind of %v", err)
			}
			return
		}
		c := tr.AVC
		if tr.Kind != Video || c == nil || tr.Width == 0 || tr.Height == 0 || tr.Width > maxPictureDimension || tr.Height > maxPictureDimension {
			t.Fatalf("facts out of range: %+v", tr)
		}
		if len(c.SPS) == 0 || len(c.PPS) == 0 || len(c.SPS) > maxSPSCount || len(c.PPS) > maxPPSCount || !validLengthSize(c.LengthSize) || c.LengthSize == 3 {
			t.Fatalf("%d SPS, %d PPS, length size %d", len(c.SPS), len(c.PPS), c.LengthSize)
		}
		if len(c.Record) > len(private)+16 {
			t.Fatalf("record of %d bytes from %d", len(c.Record), len(private))
		}
		again, err := ParseTrack(CodecIDAVC, c.Record, Hint{})
		if err != nil {
			t.Fatalf("own record rejected: %v", err)
		}
		if !bytes.Equal(again.AVC.Record, c.Record) || again.Width != tr.Width || again.Height != tr.Height || again.SampleEntry != tr.SampleEntry {
			t.Fatal("record does not round-trip")
		}
	})
}

func FuzzHEVCConfig(f *testing.F) {
	for _, tc := range availableTrackCases() {
		if tc.codecID == CodecIDHEVC {
			f.Add(tc.private)
		}
	}
	f.Fuzz(func(t *testing.T, private []byte) {
		var tr *Track
		var err error
		bounded(t, "ParseTrack", len(private), func() { tr, err = ParseTrack(CodecIDHEVC, private, Hint{PixelWidth: 64, PixelHeight: 64}) })
		if err != nil {
			if k := kvs.KindOf(err); k != kvs.InvalidCodecPrivateData && k != kvs.MissingCodecPrivateData {
				t.Fatalf("kind of %v", err)
			}
			return
		}
		checkFuzzedHEVC(t, tr)
	})
}

func FuzzHEVCSPS(f *testing.F) {
	for _, tc := range availableTrackCases() {
		if tc.codecID != CodecIDHEVC {
			continue
		}
		if _, arrays, err := parseHVCC(tc.private); err == nil {
			for _, a := range arrays {
				if a.typ == hevcNALSPS {
					for _, n := range a.nals {
						f.Add(n)
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, nalu []byte) {
		var s HEVCSPS
		var err error
		bounded(t, "ParseHEVCSPS", len(nalu), func() { s, err = ParseHEVCSPS(nalu) })
		if err != nil {
			if kvs.KindOf(err) != kvs.InvalidCodecPrivateData {
				t.Fatalf("kind of %v", err)
			}
			return
		}
		if s.Width <= 0 || s.Height <= 0 || s.Width > s.CodedWidth || s.Height > s.CodedHeight ||
			s.CodedWidth > maxHEVCPictureDimension || s.CodedHeight > maxHEVCPictureDimension ||
			s.CodedWidth*s.CodedHeight > maxHEVCLumaPictureSize {
			t.Fatalf("size %+v out of limits", s)
		}
		if s.ChromaFormat > 3 || s.BitDepthLuma < 8 || s.BitDepthLuma > 16 || s.BitDepthChroma > 16 || s.ID > 15 ||
			s.MaxSubLayers < 1 || s.MaxSubLayers > 7 || s.ReorderFrames < 0 || s.ReorderFrames >= s.MaxDecPicBuffering || s.MaxDecPicBuffering > 16 {
			t.Fatalf("facts out of range: %+v", s)
		}
	})
}

func FuzzWaveFormatEx(f *testing.F) {
	for _, tc := range availableTrackCases() {
		if tc.codecID == CodecIDACM {
			f.Add(tc.private)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var w waveFormatEx
		var err error
		bounded(t, "parseWaveFormatEx", len(b), func() { w, err = parseWaveFormatEx(b) })
		if err == nil && len(w.Extra) > len(b) {
			t.Fatal("extra longer than input")
		}
		var tr *Track
		bounded(t, "ParseTrack", len(b), func() { tr, err = ParseTrack(CodecIDACM, b, Hint{}) })
		if err != nil {
			switch kvs.KindOf(err) {
			case kvs.InvalidCodecPrivateData, kvs.MissingCodecPrivateData, kvs.UnsupportedStreamMediaType:
			default:
				t.Fatalf("kind of %v", err)
			}
			return
		}
		if tr.Channels == 0 || tr.Channels > maxG711Channels || tr.SampleRate < minG711SampleRate || tr.SampleRate > maxG711SampleRate {
			t.Fatalf("facts out of range: %+v", tr)
		}
		n, err := tr.G711.FrameSamples(b)
		if err == nil && n*uint32(tr.Channels) != uint32(len(b)) {
			t.Fatalf("%d samples for %d bytes", n, len(b))
		}
	})
}

func FuzzHEVCFrame(f *testing.F) {
	for _, tc := range frameCases {
		f.Add(tc.frame, lengthSizeSel(tc.lengthSize))
	}
	f.Add(avccFrame(4, []byte{0x46, 0x01, 0x10}, hevcVPSNAL, cpdX265Main[57:99], hevcPPSNAL, []byte{0x26, 0x01, 0xaf}), uint8(3))
	f.Fuzz(func(t *testing.T, frame []byte, sel uint8) {
		ls := lengthSizes[int(sel)%len(lengthSizes)]
		var (
			irap          bool
			vps, sps, pps [][]byte
			err, ferr     error
			out           []byte
		)
		bounded(t, "HEVC frame walks", len(frame), func() {
			irap = HasIRAP(frame, ls)
			vps, sps, pps, err = HEVCParameterSets(frame, ls)
			out, ferr = (&HEVCConfig{LengthSize: ls}).Frame(nil, frame)
		})
		if ferr == nil && err != nil {
			t.Fatalf("frame accepted, its parameter set walk failed: %v", err)
		}
		if ferr != nil {
			if irap || kvs.KindOf(ferr) != kvs.InvalidMediaFrame {
				t.Fatalf("irap %v for a bad frame, kind of %v", irap, ferr)
			}
			return
		}
		if irap != HasIRAP(out, 4) {
			t.Fatal("IRAP changes with conversion")
		}
		v2, s2, p2, err := HEVCParameterSets(out, 4)
		if err != nil || !sameNALs(vps, v2) || !sameNALs(sps, s2) || !sameNALs(pps, p2) {
			t.Fatalf("parameter sets change with conversion: %v", err)
		}
		if len(vps) > 0 && len(sps) > 0 && len(pps) > 0 {
			if c, err := NewHEVCConfig(vps, sps, pps); err == nil {
				checkFuzzedHEVC(t, &Track{Kind: Video, SampleEntry: c.sampleEntry(), HEVC: c,
					Width: uint16(c.SPSInfo.Width), Height: uint16(c.SPSInfo.Height)})
			}
		}
	})
}

func FuzzSPS(f *testing.F) {
	for _, tc := range availableTrackCases() {
		if tc.codecID != CodecIDAVC {
			continue
		}
		if sps, _, _, _, err := parseAVCC(tc.private); err == nil {
			for _, s := range sps {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, nalu []byte) {
		var s SPS
		var err error
		bounded(t, "ParseSPS", len(nalu), func() { s, err = ParseSPS(nalu) })
		if err != nil {
			if kvs.KindOf(err) != kvs.InvalidCodecPrivateData {
				t.Fatalf("kind of %v", err)
			}
			return
		}
		if s.Width <= 0 || s.Height <= 0 || s.Width > s.CodedWidth || s.Height > s.CodedHeight ||
			s.CodedWidth > maxPictureDimension || s.CodedHeight > maxPictureDimension ||
			s.CodedWidth/16*(s.CodedHeight/16) > maxFrameMacroblocks {
			t.Fatalf("size %+v out of limits", s)
		}
		if s.ChromaFormat > 3 || s.BitDepthLuma < 8 || s.BitDepthLuma > 14 || s.POCType > 2 || s.ID > 31 || s.ReorderFrames < -1 || s.ReorderFrames > 16 {
			t.Fatalf("facts out of range: %+v", s)
		}
	})
}

func FuzzAVCFrame(f *testing.F) {
	for _, tc := range frameCases {
		f.Add(tc.frame, lengthSizeSel(tc.lengthSize))
	}
	f.Fuzz(func(t *testing.T, frame []byte, sel uint8) {
		ls := lengthSizes[int(sel)%len(lengthSizes)]
		dst := []byte{0xAA}
		var (
			out       []byte
			converted bool
			err       error
		)
		bounded(t, "AVC frame walks", len(frame), func() {
			out, converted, err = ToAVCC(dst, frame, ls)
			// These must never panic, whatever the frame.
			_, _, _ = ParameterSets(frame, ls)
			_ = HasIDR(frame, ls)
		})
		if err != nil {
			if kvs.KindOf(err) != kvs.InvalidMediaFrame {
				t.Fatalf("kind of %v", err)
			}
			return
		}
		if converted {
			if out[0] != 0xAA {
				t.Fatal("dst prefix lost")
			}
			out = out[1:]
		} else if len(out) != len(frame) || &out[0] != &frame[0] {
			t.Fatal("unconverted frame is not returned itself")
		}
		if f := checkLengthPrefixed(out, 4); f.what != faultNone {
			t.Fatalf("output is not 4-byte AVCC: %v", f.err())
		}
		again, conv, err := ToAVCC(nil, out, 4)
		if err != nil || conv || !bytes.Equal(again, out) {
			t.Fatalf("converting a converted frame is not a no-op: %v %v", conv, err)
		}
		// The NAL units are the same before and after.
		var in, o [][]byte
		if err := forEachNAL(frame, ls, func(n []byte) { in = append(in, n) }); err != nil {
			t.Fatalf("walk of input failed: %v", err)
		}
		if err := forEachNAL(out, 4, func(n []byte) { o = append(o, n) }); err != nil {
			t.Fatalf("walk of output failed: %v", err)
		}
		if len(in) != len(o) {
			t.Fatalf("%d NAL units in, %d out", len(in), len(o))
		}
		for i := range in {
			if !bytes.Equal(in[i], o[i]) {
				t.Fatalf("NAL unit %d changed", i)
			}
		}
	})
}

func FuzzAudioSpecificConfig(f *testing.F) {
	for _, tc := range availableTrackCases() {
		if tc.codecID == CodecIDAAC || len(tc.codecID) > 5 && tc.codecID[:6] == "A_AAC/" {
			f.Add(tc.private)
		}
	}
	f.Fuzz(func(t *testing.T, asc []byte) {
		var c AudioSpecificConfig
		var err error
		bounded(t, "ParseAudioSpecificConfig", len(asc), func() { c, err = ParseAudioSpecificConfig(asc) })
		if err != nil {
			if kvs.KindOf(err) != kvs.InvalidCodecPrivateData {
				t.Fatalf("kind of %v", err)
			}
			return
		}
		if c.SampleRate < minAudioSampleRate || c.OutputSampleRate > maxAudioSampleRate || c.Channels > maxAudioChannels {
			t.Fatalf("facts out of range: %+v", c)
		}
		if (c.Channels == 0) != (c.ChannelConfig == 0) {
			t.Fatalf("channels %d for config %d", c.Channels, c.ChannelConfig)
		}
		// mp4ff as an oracle, where it applies: LC, optionally under
		// explicit SBR/PS.
		if c.ObjectType != 2 {
			return
		}
		m, merr := aac.DecodeAudioSpecificConfig(bytes.NewReader(asc))
		if merr != nil {
			t.Fatalf("mp4ff rejects what we accept (%+v): %v", c, merr)
		}
		if uint32(m.SamplingFrequency) != c.SampleRate || m.ChannelConfiguration != c.ChannelConfig {
			t.Fatalf("mp4ff %+v, we %+v", m, c)
		}
		if c.ExtensionObjectType != 0 && uint32(m.ExtensionFrequency) != c.OutputSampleRate {
			t.Fatalf("mp4ff extension rate %d, we %d", m.ExtensionFrequency, c.OutputSampleRate)
		}
	})
}

// TestWriteFuzzSeeds writes the table seeds into testdata/fuzz in the
// `go test fuzz v1` format when KVSCLIP_WRITE_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KVSCLIP_WRITE_SEEDS") == "" {
		t.Skip("set KVSCLIP_WRITE_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	write := func(target, name string, lines ...string) {
		dir := filepath.Join("testdata", "fuzz", target)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		body := "go test fuzz v1\n"
		for _, l := range lines {
			body += l + "\n"
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644))
	}
	bs := func(b []byte) string { return "[]byte(" + strconv.Quote(string(b)) + ")" }
	// Seeds are named by table position, so a table that changed leaves
	// no stale files behind.
	// Only the seed-* files are the table's: the others are inputs the
	// fuzzer found, kept as regression tests.
	for _, target := range []string{"FuzzParseTrack", "FuzzSPS", "FuzzAudioSpecificConfig", "FuzzAVCFrame",
		"FuzzHEVCConfig", "FuzzHEVCSPS", "FuzzWaveFormatEx", "FuzzHEVCFrame", "FuzzAVCConfig"} {
		old, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "seed-*"))
		require.NoError(t, err)
		for _, p := range old {
			require.NoError(t, os.Remove(p))
		}
	}
	for i, tc := range trackCases { // the committed rows only: no recording's bytes
		n := fmt.Sprintf("%03d", i)
		write("FuzzParseTrack", n, "string("+strconv.Quote(tc.codecID)+")", bs(tc.private), fmt.Sprintf("uint64(%d)", tc.hint.Channels))
		if tc.codecID == CodecIDAVC {
			if sps, _, _, _, err := parseAVCC(tc.private); err == nil {
				write("FuzzSPS", n, bs(sps[0]))
			}
		}
		if tc.codec == "mp4a" || tc.codecID == CodecIDAAC && len(tc.private) > 0 {
			write("FuzzAudioSpecificConfig", n, bs(tc.private))
		}
		switch tc.codecID {
		case CodecIDAVC:
			write("FuzzAVCConfig", n, bs(tc.private))
		case CodecIDHEVC:
			write("FuzzHEVCConfig", n, bs(tc.private))
			if _, arrays, err := parseHVCC(tc.private); err == nil {
				for _, a := range arrays {
					if a.typ == hevcNALSPS && len(a.nals) > 0 {
						write("FuzzHEVCSPS", n, bs(a.nals[0]))
					}
				}
			}
		case CodecIDACM:
			write("FuzzWaveFormatEx", n, bs(tc.private))
		}
	}
	for i, tc := range frameCases {
		write("FuzzAVCFrame", fmt.Sprintf("%03d", i), bs(tc.frame), fmt.Sprintf("byte(%d)", lengthSizeSel(tc.lengthSize)))
		write("FuzzHEVCFrame", fmt.Sprintf("%03d", i), bs(tc.frame), fmt.Sprintf("byte(%d)", lengthSizeSel(tc.lengthSize)))
	}
	writeOwnMediaSeeds(t, write)
}

// writeOwnMediaSeeds adds seeds from the project's own generated media
// (../testdata/*.mkv): every track's CodecPrivate, its parameter sets, and
// its first key frame shrunk to a few hundred bytes. The shared KVS
// recordings are not used: no piece of them may be committed.
func writeOwnMediaSeeds(t *testing.T, write func(target, name string, lines ...string)) {
	bs := func(b []byte) string { return "[]byte(" + strconv.Quote(string(b)) + ")" }
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.mkv"))
	require.NoError(t, err)
	for _, p := range files {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		f, err := mkv.NewBytesReader(data).Next()
		require.NoError(t, err, p)
		base := "own-" + strings.TrimSuffix(filepath.Base(p), ".getmedia.mkv")
		for _, tr := range f.Header.Tracks {
			name := fmt.Sprintf("%s-%d", base, tr.Number)
			write("FuzzParseTrack", name, "string("+strconv.Quote(tr.CodecID)+")", bs(tr.CodecPrivate), fmt.Sprintf("uint64(%d)", tr.Channels))
			var frameTarget string
			var ls int
			switch tr.CodecID {
			case CodecIDAVC:
				write("FuzzAVCConfig", name, bs(tr.CodecPrivate))
				sps, _, _, l, err := parseAVCC(tr.CodecPrivate)
				require.NoError(t, err, name)
				write("FuzzSPS", name, bs(sps[0]))
				frameTarget, ls = "FuzzAVCFrame", l
			case CodecIDHEVC:
				write("FuzzHEVCConfig", name, bs(tr.CodecPrivate))
				c, arrays, err := parseHVCC(tr.CodecPrivate)
				require.NoError(t, err, name)
				for _, a := range arrays {
					if a.typ == hevcNALSPS && len(a.nals) > 0 {
						write("FuzzHEVCSPS", name, bs(a.nals[0]))
					}
				}
				frameTarget, ls = "FuzzHEVCFrame", c.lengthSize
			case CodecIDAAC:
				write("FuzzAudioSpecificConfig", name, bs(tr.CodecPrivate))
			case CodecIDACM:
				write("FuzzWaveFormatEx", name, bs(tr.CodecPrivate))
			}
			if frameTarget == "" {
				continue
			}
			for _, b := range f.Blocks {
				if b.Track == tr.Number && b.Keyframe {
					write(frameTarget, name, bs(shrinkFrame(t, b.Data, ls)), fmt.Sprintf("byte(%d)", lengthSizeSel(ls)))
					break
				}
			}
		}
	}
}

// shrinkFrame re-writes a length-prefixed frame with each NAL unit cut to at
// most 48 bytes, so that a key frame's parameter sets and slice headers
// stay and its slice data goes.
func shrinkFrame(t *testing.T, frame []byte, ls int) []byte {
	var out []byte
	require.NoError(t, forEachNAL(frame, ls, func(n []byte) {
		n = n[:min(len(n), 48)]
		for i := ls - 1; i >= 0; i-- {
			out = append(out, byte(len(n)>>(8*i)))
		}
		out = append(out, n...)
	}))
	return out
}
