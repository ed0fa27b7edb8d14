package codec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
)

// frameCase is one entry of the frame table (unit tests, fuzz seeds,
// benchmarks).
type frameCase struct {
	name       string
	frame      []byte
	lengthSize int
	// want is the expected output; nil means "frame itself, unconverted".
	want    []byte
	wantErr bool
}

var (
	nalIDRShort = []byte{0x65, 0x88, 0x84, 0x00, 0x33}
	nalSEI      = []byte{0x06, 0x05, 0x01, 0x80}
	nalAUDb     = []byte{0x09, 0x10}
	nal300      = append([]byte{0x41}, bytes.Repeat([]byte{0x9a}, 299)...)
	// nalSPS1080 is a whole SPS NAL unit (1080p High, crafted).
	nalSPS1080 = base1080.build()
)

// avccFrame joins NAL units behind ls-byte lengths.
func avccFrame(ls int, nals ...[]byte) []byte {
	var b []byte
	for _, n := range nals {
		for i := ls - 1; i >= 0; i-- {
			b = append(b, byte(len(n)>>(8*i)))
		}
		b = append(b, n...)
	}
	return b
}

var frameCases = []frameCase{
	{name: "avcc4/valid", frame: avccFrame(4, nalAUDb, nalSEI, nalIDRShort), lengthSize: 4},
	{name: "avcc4/valid declared annex-b", frame: avccFrame(4, nalAUDb, nalIDRShort), lengthSize: 0},
	{name: "avcc4/first nal 300 bytes looks like a start code", frame: avccFrame(4, nal300, nalIDRShort), lengthSize: 4},
	{name: "avcc4/first nal 300 bytes declared annex-b", frame: avccFrame(4, nal300), lengthSize: 0},
	{name: "avcc2/widened", frame: avccFrame(2, nalSEI, nalIDRShort), lengthSize: 2, want: avccFrame(4, nalSEI, nalIDRShort)},
	{name: "avcc1/widened", frame: avccFrame(1, nalAUDb, nalIDRShort), lengthSize: 1, want: avccFrame(4, nalAUDb, nalIDRShort)},
	{name: "annexb/4-byte start codes declared avcc", frame: annexBOf(nalAUDb, nalSPS1080, nalIDRShort), lengthSize: 4,
		want: avccFrame(4, nalAUDb, nalSPS1080, nalIDRShort)},
	{name: "annexb/3-byte start codes declared annex-b", frame: []byte{0, 0, 1, 0x09, 0x10, 0, 0, 1, 0x65, 0x88, 0, 0, 3, 1}, lengthSize: 0,
		want: avccFrame(4, nalAUDb, []byte{0x65, 0x88, 0, 0, 3, 1})},
	{name: "annexb/trailing zeros stripped", frame: []byte{0, 0, 0, 1, 0x09, 0x10, 0, 0, 0, 0, 0, 1, 0x65, 0x88, 0, 0}, lengthSize: 4,
		want: avccFrame(4, nalAUDb, []byte{0x65, 0x88})},
	{name: "annexb/empty nal skipped", frame: []byte{0, 0, 1, 0, 0, 1, 0x65, 0x88}, lengthSize: 2, want: avccFrame(4, []byte{0x65, 0x88})},
	{name: "annexb/declared 1-byte", frame: annexBOf(nalIDRShort), lengthSize: 1, want: avccFrame(4, nalIDRShort)},
	{name: "err/empty", frame: []byte{}, lengthSize: 4, wantErr: true},
	{name: "err/length overruns", frame: []byte{0, 0, 0, 9, 0x65, 0x88}, lengthSize: 4, wantErr: true},
	{name: "err/zero-length nal", frame: append([]byte{0, 0, 0, 0}, avccFrame(4, nalIDRShort)...), lengthSize: 4, wantErr: true},
	{name: "err/ends inside length", frame: append(avccFrame(4, nalIDRShort), 0, 0), lengthSize: 4, wantErr: true},
	{name: "err/2-byte overrun", frame: []byte{0, 9, 0x65}, lengthSize: 2, wantErr: true},
	{name: "err/annex-b without nal", frame: []byte{0, 0, 0, 1, 0, 0, 1, 0}, lengthSize: 4, wantErr: true},
	{name: "err/neither form declared annex-b", frame: []byte{0x65, 0x88, 0x84}, lengthSize: 0, wantErr: true},
	{name: "err/bad length size", frame: avccFrame(4, nalIDRShort), lengthSize: 3, wantErr: true},
}

func TestToAVCC(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("prefix")
			out, converted, err := ToAVCC(dst, tc.frame, tc.lengthSize)
			if tc.wantErr {
				require.Error(t, err)
				assert.Equal(t, "InvalidMediaFrame", kindName(err))
				assert.False(t, converted)
				return
			}
			require.NoError(t, err)
			if tc.want == nil {
				assert.False(t, converted)
				assert.Same(t, &tc.frame[0], &out[0], "valid AVCC must be returned itself")
				assert.Len(t, out, len(tc.frame))
			} else {
				assert.True(t, converted)
				assert.Equal(t, append([]byte("prefix"), tc.want...), out)
				out = out[len("prefix"):]
			}
			// Converting a converted frame is a no-op.
			again, conv2, err := ToAVCC(nil, out, 4)
			require.NoError(t, err)
			assert.False(t, conv2)
			assert.Equal(t, out, again)

			cfg := &AVCConfig{LengthSize: tc.lengthSize}
			viaCfg, err := cfg.Frame(nil, tc.frame)
			require.NoError(t, err)
			assert.Equal(t, out, viaCfg)
		})
	}
}

func kindName(err error) string {
	return fmt.Sprint(kindOf(err))
}

func TestParameterSetsAndIDR(t *testing.T) {
	frame := annexBOf(nalAUDb, nalSPS1080, ppsNAL, nalSEI, nalIDRShort)
	sps, pps, err := ParameterSets(frame, 0)
	require.NoError(t, err)
	require.Len(t, sps, 1)
	require.Len(t, pps, 1)
	assert.Equal(t, nalSPS1080, sps[0])
	assert.Equal(t, ppsNAL, pps[0])
	assert.True(t, HasIDR(frame, 0))
	assert.True(t, HasIDR(avccFrame(4, nalAUDb, nalIDRShort), 4))
	assert.False(t, HasIDR(avccFrame(4, nalAUDb, nal300), 4))
	assert.False(t, HasIDR([]byte{0, 0, 0, 9}, 4))

	_, _, err = ParameterSets([]byte{0, 0, 0, 9}, 4)
	assert.Error(t, err)
}

// readFrames loads the real Annex-B sample frames of the C producer.
func readFrames(tb testing.TB) [][]byte {
	tb.Helper()
	dir := filepath.Join(mediatest.SharedDir(tb), "frames", "h264SampleFrames")
	names, err := filepath.Glob(filepath.Join(dir, "frame-*.h264"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no sample frames in %s", dir)
	}
	frames := make([][]byte, len(names))
	for i, n := range names {
		frames[i], err = os.ReadFile(n)
		require.NoError(tb, err)
	}
	return frames
}

// TestRealAnnexBFrames runs the 403 producer sample frames through the
// adaptation a producer's NAL flags would do: parameter sets from frame 1,
// every frame converted, IDR every 45 frames, conversion idempotent, and the
// NAL payloads unchanged.
func TestRealAnnexBFrames(t *testing.T) {
	frames := readFrames(t)
	require.Len(t, frames, 403)

	sps, pps, err := ParameterSets(frames[0], 0)
	require.NoError(t, err)
	cfg, err := NewAVCConfig(sps, pps, nil)
	require.NoError(t, err)
	assert.Equal(t, 640, cfg.SPSInfo.Width)
	assert.Equal(t, 480, cfg.SPSInfo.Height)
	assert.Equal(t, byte(100), cfg.Profile)
	assert.Equal(t, byte(30), cfg.Level)
	cfg.LengthSize = 0

	var buf []byte
	for i, f := range frames {
		out, converted, err := ToAVCC(buf[:0], f, 0)
		require.NoError(t, err, "frame %d", i+1)
		require.True(t, converted)
		buf = out
		assert.Equal(t, i%45 == 0, HasIDR(out, 4), "frame %d", i+1)
		assert.Equal(t, HasIDR(f, 0), HasIDR(out, 4))

		again, conv, err := ToAVCC(nil, out, 4)
		require.NoError(t, err)
		require.False(t, conv)
		require.Equal(t, out, again)

		var inNALs, outNALs [][]byte
		require.NoError(t, forEachNAL(f, 0, func(n []byte) { inNALs = append(inNALs, n) }))
		require.NoError(t, forEachNAL(out, 4, func(n []byte) { outNALs = append(outNALs, n) }))
		require.Equal(t, inNALs, outNALs)
		require.Equal(t, byte(nalAUD), inNALs[0][0]&0x1f, "every sample frame begins with an AUD")
	}
	var n [][]byte
	require.NoError(t, forEachNAL(frames[0], 0, func(b []byte) { n = append(n, b) }))
	types := []byte{}
	for _, b := range n {
		types = append(types, b[0]&0x1f)
	}
	assert.Equal(t, []byte{9, 7, 8, 6, 5}, types)
}

// TestAllocs holds the hot path to its budget: a frame that is already
// 4-byte AVCC costs no allocation, and neither does a conversion into a
// buffer that has room.
func TestAllocs(t *testing.T) {
	valid := avccFrame(4, nalAUDb, nalSEI, nal300, nalIDRShort)
	annexB := annexBOf(nalAUDb, nalSEI, nal300, nalIDRShort)
	two := avccFrame(2, nalAUDb, nalSEI, nal300, nalIDRShort)
	dst := make([]byte, 0, 4096)
	cfg := &AVCConfig{LengthSize: 4}
	for name, f := range map[string]func(){
		"valid ToAVCC":        func() { _, _, _ = ToAVCC(dst, valid, 4) },
		"valid Frame":         func() { _, _ = cfg.Frame(dst, valid) },
		"annex-b into room":   func() { _, _, _ = ToAVCC(dst[:0], annexB, 4) },
		"2-byte into room":    func() { _, _, _ = ToAVCC(dst[:0], two, 2) },
		"HasIDR":              func() { _ = HasIDR(valid, 4) },
		"HasIDR annex-b":      func() { _ = HasIDR(annexB, 0) },
		"isAnnexB":            func() { _ = isAnnexB(annexB) },
		"valid declared 0":    func() { _, _, _ = ToAVCC(dst, valid, 0) },
		"ParameterSets avcc4": func() { _, _, _ = ParameterSets(valid, 4) },
	} {
		assert.Zero(t, testing.AllocsPerRun(100, f), name)
	}
}
