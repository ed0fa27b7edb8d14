package codec

import (
	"testing"

	"github.com/kvsclip/kvsclip/kvs"
)

func BenchmarkParseTrack(b *testing.B) {
	for _, tc := range availableTrackCases() {
		if tc.err != kvs.Unknown || !(tc.name[:5] == "real/") {
			continue
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.private)))
			for b.Loop() {
				if _, err := ParseTrack(tc.codecID, tc.private, tc.hint); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchFrames returns a real inter frame (frame-002, about 16 KB) in
// Annex-B, 4-byte AVCC and 2-byte AVCC form, and a real IDR frame (frame-001,
// about 117 KB) in Annex-B.
func benchFrames(b *testing.B) (annexB, avcc4, avcc2, idrAnnexB []byte) {
	frames := readFrames(b)
	annexB = frames[1]
	avcc4, _, err := ToAVCC(nil, annexB, 0)
	if err != nil {
		b.Fatal(err)
	}
	var nals [][]byte
	_ = forEachNAL(annexB, 0, func(n []byte) { nals = append(nals, n) })
	for _, n := range nals {
		if len(n) > 0xFFFF {
			b.Fatal("NAL too large for 2-byte lengths")
		}
	}
	avcc2 = avccFrame(2, nals...)
	return annexB, avcc4, avcc2, frames[0]
}

func BenchmarkAVCFrame(b *testing.B) {
	annexB, avcc4, avcc2, idr := benchFrames(b)
	for _, bc := range []struct {
		name  string
		frame []byte
		ls    int
	}{
		{"avcc4-passthrough", avcc4, 4},
		{"annexb-convert", annexB, 0},
		{"annexb-idr-convert", idr, 0},
		{"avcc2-widen", avcc2, 2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dst := make([]byte, 0, 2*len(bc.frame))
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.frame)))
			for b.Loop() {
				if _, _, err := ToAVCC(dst[:0], bc.frame, bc.ls); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("HasIDR-avcc4", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(avcc4)))
		for b.Loop() {
			HasIDR(avcc4, 4)
		}
	})
}

func BenchmarkParseSPS(b *testing.B) {
	sps, _, _, _, err := parseAVCC(sharedRecordings(b).getMedia)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(sps[0])))
	for b.Loop() {
		if _, err := ParseSPS(sps[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseHEVCSPS(b *testing.B) {
	sps := cpdX265Main[57:99]
	b.ReportAllocs()
	b.SetBytes(int64(len(sps)))
	for b.Loop() {
		if _, err := ParseHEVCSPS(sps); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTrackHEVCG711(b *testing.B) {
	for _, tc := range hevcG711Cases {
		if tc.err != kvs.Unknown {
			continue
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.private)))
			for b.Loop() {
				if _, err := ParseTrack(tc.codecID, tc.private, tc.hint); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHEVCFrame measures the frame path on a 16 KB length-prefixed
// H.265-shaped frame (AUD, IDR slice) and its Annex-B form.
func BenchmarkHEVCFrame(b *testing.B) {
	slice := append([]byte{0x26, 0x01}, make([]byte, 16<<10)...)
	for i := 2; i < len(slice); i++ {
		slice[i] = byte(i*7) | 1
	}
	avcc := avccFrame(4, []byte{0x46, 0x01, 0x10}, slice)
	ab := annexBOf([]byte{0x46, 0x01, 0x10}, slice)
	c4, c0 := &HEVCConfig{LengthSize: 4}, &HEVCConfig{}
	dst := make([]byte, 0, 2*len(ab))
	for _, bc := range []struct {
		name  string
		frame []byte
		c     *HEVCConfig
	}{{"avcc4-passthrough", avcc, c4}, {"annexb-convert", ab, c0}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.frame)))
			for b.Loop() {
				if _, err := bc.c.Frame(dst[:0], bc.frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("HasIRAP-avcc4", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(avcc)))
		for b.Loop() {
			HasIRAP(avcc, 4)
		}
	})
	b.Run("G711-FrameSamples", func(b *testing.B) {
		g := &G711Config{Channels: 1}
		f := make([]byte, 160)
		b.ReportAllocs()
		b.SetBytes(160)
		for b.Loop() {
			_, _ = g.FrameSamples(f)
		}
	})
}
