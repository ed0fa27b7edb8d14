package mkv

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
)

// el encodes one EBML element with a minimal size field; size -1 writes the
// 1-byte unknown size.
func el(id uint32, body ...[]byte) []byte {
	return elSized(id, len(bytes.Join(body, nil)), body...)
}

func elSized(id uint32, size int, body ...[]byte) []byte {
	var b []byte
	switch {
	case id > 0xFFFFFF:
		b = binary.BigEndian.AppendUint32(b, id)
	case id > 0xFFFF:
		b = append(b, byte(id>>16), byte(id>>8), byte(id))
	case id > 0xFF:
		b = append(b, byte(id>>8), byte(id))
	default:
		b = append(b, byte(id))
	}
	if size < 0 {
		b = append(b, 0xFF)
	} else {
		b = binary.BigEndian.AppendUint64(b, uint64(size)|1<<56)[:len(b)+8]
		b[len(b)-8] = 0x01
	}
	return append(b, bytes.Join(body, nil)...)
}

func u(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

var (
	testEBML   = el(idEBML, el(idDocType, []byte("matroska")))
	testTracks = el(idTracks,
		el(idTrackEntry, el(idTrackNumber, u(1)), el(idTrackType, u(1)), el(idCodecID, []byte("V_MPEG4/ISO/AVC"))),
		el(idTrackEntry, el(idTrackNumber, u(2)), el(idTrackType, u(2)), el(idCodecID, []byte("A_AAC")),
			el(idDefaultDuration, u(20_000_000))))
)

// simpleBlock builds a SimpleBlock body: track 1-byte varint, time, flags, data.
func simpleBlock(track byte, rel int16, flags byte, data ...byte) []byte {
	b := []byte{0x80 | track, byte(uint16(rel) >> 8), byte(rel), flags}
	return el(idSimpleBlock, append(b, data...))
}

func doc(clusters ...[]byte) []byte {
	seg := append([]byte{}, testTracks...)
	for _, c := range clusters {
		seg = append(seg, c...)
	}
	return append(append([]byte{}, testEBML...), elSized(idSegment, -1, seg)...)
}

func TestReaderLacing(t *testing.T) {
	cluster := elSized(idCluster, -1,
		el(idTimecode, u(100)),
		// Xiph: 3 frames of 2, 300 and 1 bytes.
		simpleBlock(2, 5, 0x82, append(append([]byte{2, 2, 255, 45}, bytes.Repeat([]byte{7}, 302)...), 9)...),
		// EBML: 3 frames of 3, 5 (3 + 2), 1 bytes.
		simpleBlock(2, 6, 0x86, append([]byte{2, 0x83, 0xC1}, bytes.Repeat([]byte{1}, 9)...)...),
		// Fixed: 2 frames of 2 bytes.
		simpleBlock(2, 7, 0x84, 1, 0xA, 0xB, 0xC, 0xD),
		el(idBlockGroup,
			el(idBlock, []byte{0x81, 0, 8, 0, 0xEE}),
			el(idBlockDuration, u(33)),
			el(idReferenceBlock, []byte{0xFF})),
	)
	f, err := NewBytesReader(doc(cluster)).Next()
	require.NoError(t, err)
	var sizes []int
	for _, b := range f.Blocks {
		sizes = append(sizes, len(b.Data))
	}
	assert.Equal(t, []int{2, 300, 1, 3, 5, 1, 2, 2, 1}, sizes)
	assert.Equal(t, []byte{9}, f.Blocks[2].Data)
	assert.Equal(t, uint8(2), f.Blocks[2].Lace)
	assert.Equal(t, int64(105), f.Blocks[0].Time)
	assert.Equal(t, []byte{0xC, 0xD}, f.Blocks[7].Data)
	last := f.Blocks[8]
	assert.False(t, last.Keyframe, "ReferenceBlock makes a non-key frame")
	assert.True(t, last.HasDuration)
	assert.Equal(t, uint64(33), last.Duration)
	assert.Equal(t, int64(108), last.Time)
}

func TestReaderMalformedBlocks(t *testing.T) {
	for _, c := range []struct {
		name  string
		block []byte
		err   error
	}{
		{"undeclared track", simpleBlock(3, 0, 0x80, 1), ErrUnknownTrack},
		{"short header", el(idSimpleBlock, []byte{0x81, 0}), ErrMalformed},
		{"xiph sizes past block", simpleBlock(2, 0, 0x82, 1, 255, 255), ErrMalformed},
		{"xiph sizes exceed block", simpleBlock(2, 0, 0x82, 1, 200, 1), ErrMalformed},
		{"fixed does not divide", simpleBlock(2, 0, 0x84, 1, 1, 2, 3), ErrMalformed},
		{"ebml negative size", simpleBlock(2, 0, 0x86, 2, 0x81, 0x80, 1, 2), ErrMalformed},
		{"block group without block", el(idBlockGroup, el(idBlockDuration, u(1))), ErrMalformed},
		{"child overruns cluster", elSized(idSimpleBlock, 100, []byte{0x81, 0, 0, 0x80}), ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := doc(el(idCluster, el(idTimecode, u(0)), c.block), el(idCluster, el(idTimecode, u(1))))
			_, err := NewBytesReader(in).Next()
			require.Error(t, err)
			assert.ErrorIs(t, err, c.err)
			assert.Equal(t, kvs.InvalidMediaFrame, kvs.KindOf(err))
		})
	}
}

func TestReaderStructure(t *testing.T) {
	t.Run("cluster before tracks", func(t *testing.T) {
		in := append(append([]byte{}, testEBML...), elSized(idSegment, -1, el(idCluster, el(idTimecode, u(0))))...)
		_, err := NewBytesReader(in).Next()
		assert.ErrorIs(t, err, ErrNoTracks)
	})
	t.Run("unknown-size cluster ends at the next cluster", func(t *testing.T) {
		in := doc(elSized(idCluster, -1, el(idTimecode, u(0)), simpleBlock(1, 0, 0x80, 1)),
			elSized(idCluster, -1, el(idTimecode, u(9)), simpleBlock(1, 0, 0x80, 2), simpleBlock(1, 1, 0, 3)))
		frags := readAll(t, NewBytesReader(in))
		require.Len(t, frags, 2)
		assert.Len(t, frags[0].Blocks, 1)
		assert.Len(t, frags[1].Blocks, 2)
		assert.Equal(t, int64(10), frags[1].Blocks[1].Time)
	})
	t.Run("unknown-size clusters in a known-size segment", func(t *testing.T) {
		// Found by FuzzReader against ebml-go: inside a Segment of known
		// size, an unknown-size Cluster ran to the Segment's end and took
		// the next Cluster's Timecode and blocks as its own.
		first := elSized(idCluster, -1, el(idTimecode, u(0)), simpleBlock(1, 0, 0x80, 1))
		second := elSized(idCluster, -1, el(idTimecode, u(9)), simpleBlock(1, 0, 0x80, 2))
		in := append(append([]byte{}, testEBML...), el(idSegment, testTracks, first, second)...)
		frags := readAll(t, NewBytesReader(in))
		require.Len(t, frags, 2)
		assert.Equal(t, int64(0), frags[0].Timecode)
		assert.Len(t, frags[0].Blocks, 1)
		assert.Equal(t, int64(9), frags[1].Timecode)
		assert.Len(t, frags[1].Blocks, 1)
	})
	t.Run("a child's header across its cluster's end", func(t *testing.T) {
		// Found by FuzzReader against ebml-go: the size check missed a
		// header that already passed the end, and the Reader read on
		// into the Tags after the Cluster as if the input were cut.
		tags := el(idTags, el(idTag, el(idSimpleTag, el(idTagName, []byte("name")))))
		in := doc(el(idCluster, el(idTimecode, u(0)), []byte{0x30, 0x30, 0x30, 0x30}), tags)
		_, err := NewBytesReader(in).Next()
		assert.ErrorIs(t, err, ErrMalformed)
	})
	t.Run("an element's header across its segment's end", func(t *testing.T) {
		in := append(append([]byte{}, testEBML...), el(idSegment, testTracks, []byte{0x1F, 0x43, 0xB6})...)
		in = append(in, 0x75, 0xFF)
		_, err := NewBytesReader(in).Next()
		assert.ErrorIs(t, err, ErrMalformed)
	})
	t.Run("cut inside an unknown-size cluster", func(t *testing.T) {
		in := doc(elSized(idCluster, -1, el(idTimecode, u(0)), simpleBlock(1, 0, 0x80, 1), simpleBlock(1, 1, 0, 2, 3, 4)))
		frags := readAll(t, NewBytesReader(in[:len(in)-2]))
		require.Len(t, frags, 1)
		assert.True(t, frags[0].Truncated)
		assert.Len(t, frags[0].Blocks, 1)
	})
	t.Run("unknown size outside cluster and segment", func(t *testing.T) {
		in := append(append([]byte{}, testEBML...), elSized(idSegment, -1, elSized(idTags, -1))...)
		_, err := NewBytesReader(in).Next()
		assert.ErrorIs(t, err, ErrMalformed)
	})
	t.Run("element over its limit", func(t *testing.T) {
		in := append(append([]byte{}, testEBML...), elSized(idSegment, -1, elSized(idTracks, MaxHeaderElementSize+1))...)
		_, err := NewReader(bytes.NewReader(in)).Next()
		assert.ErrorIs(t, err, ErrTooLarge)
	})
	t.Run("huge declared cluster in a stream", func(t *testing.T) {
		in := doc(elSized(idCluster, 1<<40, el(idTimecode, u(0))))
		_, err := NewReader(bytes.NewReader(in)).Next()
		assert.ErrorIs(t, err, ErrTooLarge)
	})
	t.Run("two timecodes in a cluster", func(t *testing.T) {
		// Found by FuzzReader: with two, a fragment-start function saw
		// the first and Next returned the second.
		in := doc(el(idCluster, el(idTimecode, u(48)), simpleBlock(1, 0, 0x80, 1), el(idTimecode, u(49))))
		_, err := NewBytesReader(in).Next()
		assert.ErrorIs(t, err, ErrMalformed)
	})
	t.Run("a string ends at its first NUL", func(t *testing.T) {
		// Found by FuzzReader against ebml-go; see readString.
		frags := readAll(t, NewBytesReader(seedDocs()["nul-in-strings"]))
		require.Len(t, frags, 1)
		assert.Equal(t, "V_MPEG4/ISO/AVC", frags[0].Header.Tracks[0].CodecID)
		assert.Equal(t, []SimpleTag{{Name: "a", Value: "c"}}, frags[0].Tags.Other)
	})
	t.Run("bad fragment number tag", func(t *testing.T) {
		tags := el(idTags, el(idTag, el(idSimpleTag, el(idTagName, []byte(TagFragmentNumber)), el(idTagString, []byte("12a")))))
		in := doc(tags)
		_, err := NewBytesReader(in).Next()
		assert.ErrorIs(t, err, ErrBadTag)
	})
}

func TestParseMillis(t *testing.T) {
	for in, want := range map[string]int64{
		"1511852108.513": 1511852108513, "0.000": 0, "5": 5000, "5.5": 5500, "1.123456789": 1123,
	} {
		got, err := parseMillis(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		if in == "1511852108.513" || in == "0.000" {
			assert.Equal(t, in, kvs.Millis(got).String())
		}
	}
	for _, in := range []string{"", ".5", "-1.000", "1e9", "1.2.3", "99999999999999999.0", "1.0000000000"} {
		_, err := parseMillis(in)
		assert.Error(t, err, in)
	}
}

// TestReaderAllocs: after warm-up, scanning costs no allocation per block.
func TestReaderAllocs(t *testing.T) {
	var clusters [][]byte
	for i := 0; i < 4; i++ {
		var blocks [][]byte
		blocks = append(blocks, el(idTimecode, u(uint64(i*1000))))
		for j := 0; j < 200; j++ {
			blocks = append(blocks, simpleBlock(1, int16(j), 0, bytes.Repeat([]byte{1}, 500)...))
		}
		clusters = append(clusters, elSized(idCluster, -1, blocks...))
	}
	in := doc(clusters...)
	for name, open := range map[string]func() *Reader{
		"bytes":  func() *Reader { return NewBytesReader(in) },
		"stream": func() *Reader { return NewReader(bytes.NewReader(in)) },
	} {
		r := open()
		allocs := testing.AllocsPerRun(20, func() {
			r = open()
			for {
				if _, err := r.Next(); err == io.EOF {
					break
				}
			}
		})
		// Per run: the Reader, its buffers and the first growth of each
		// fragment's block slice; none of it grows with the 800 blocks.
		assert.Less(t, allocs, 40.0, "%s: %v allocations for 800 blocks", name, allocs)
		r2 := open()
		_, _ = r2.Next()
		_, _ = r2.Next()
		steady := testing.AllocsPerRun(1, func() { _, _ = r2.Next() })
		assert.Zero(t, steady, "%s: a warmed-up Next allocates", name)
	}
}
