package fragindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
)

// TestRoundTrip encodes the index of every fragment of every committed
// recording and decodes it again: the same index, its header equal to the
// one the mkv Reader gives for the document, CodecPrivate included.
func TestRoundTrip(t *testing.T) {
	var encoded, samples, sampleBytes int
	for _, d := range testDocs(t) {
		x, err := Build(d.doc)
		require.NoError(t, err, d.name)
		b, err := x.Marshal()
		require.NoError(t, err, d.name)
		assert.Len(t, b, x.MarshalSize(), d.name)
		y, err := Unmarshal(b)
		require.NoError(t, err, d.name)
		assert.Equal(t, x, y, d.name)
		f, err := mkv.NewBytesReader(d.doc).Next()
		require.NoError(t, err)
		assert.Equal(t, f.Header, y.Header, d.name)
		var z Index
		require.NoError(t, z.Unmarshal(b))
		assert.Equal(t, x, &z, d.name)
		bare := *x
		bare.Samples = nil
		samples += len(x.Samples)
		encoded += len(b)
		sampleBytes += len(b) - bare.MarshalSize() + 1 // the count's byte
	}
	t.Logf("%d samples: %d bytes encoded, %.2f per sample with the headers, %.2f without",
		samples, encoded, float64(encoded)/float64(samples), float64(sampleBytes)/float64(samples))
}

// small is a valid index with the cases the sample encoding distinguishes:
// a track beyond the first three, laces, durations, a time going back.
func small() *Index {
	return &Index{
		DocSize: 1000,
		Header: &mkv.Header{TimecodeScale: 1_000_000, MuxingApp: "m", Tracks: []mkv.Track{
			{Number: 1, Type: mkv.TrackTypeVideo, CodecID: "V_MPEG4/ISO/AVC", CodecPrivate: []byte{1, 2, 3}},
			{Number: 2, Type: mkv.TrackTypeAudio, CodecID: "A_AAC", SamplingFrequency: 44100},
			{Number: 3}, {Number: 7},
		}},
		Timecode: -5,
		Tags: mkv.Tags{FragmentNumber: "12", ProducerTimestamp: 1700000000000, HasProducerTimestamp: true,
			Other: []mkv.SimpleTag{{Name: "a", Value: "b"}}},
		Truncated: true,
		Samples: []Sample{
			{Offset: 100, Size: 10, Track: 1, Time: 0, Flags: Keyframe | LengthPrefixed},
			{Offset: 110, Size: 5, Track: 2, Time: -3, Lace: 0},
			{Offset: 115, Size: 5, Track: 2, Time: -3, Lace: 1},
			{Offset: 200, Size: 800, Track: 7, Time: 40, Duration: 33, Flags: HasDuration | Invisible | Discardable},
			{Offset: 0, Size: 0, Track: 99, Time: 1 << 40},
		},
	}
}

func TestSmallRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Index)
	}{
		{"small", func(*Index) {}},
		{"no samples", func(x *Index) { x.Samples = nil }},
		{"no tracks", func(x *Index) { x.Header.Tracks = nil; x.Samples = x.Samples[4:] }},
		{"empty document", func(x *Index) { x.DocSize = 0; x.Samples = x.Samples[4:] }},
		{"largest document", func(x *Index) { x.DocSize = mkv.MaxFragmentSize }},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := small()
			c.edit(x)
			b, err := x.Marshal()
			require.NoError(t, err)
			y, err := Unmarshal(b)
			require.NoError(t, err)
			assert.Equal(t, x, y)
		})
	}
}

func TestMarshalRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Index)
	}{
		{"no header", func(x *Index) { x.Header = nil }},
		{"negative document size", func(x *Index) { x.DocSize = -1 }},
		{"document too large", func(x *Index) { x.DocSize = mkv.MaxFragmentSize + 1 }},
		{"sample past the end", func(x *Index) { x.Samples[3].Size++ }},
		{"sample before the start", func(x *Index) { x.Samples[0].Offset = -1 }},
		{"unknown flag", func(x *Index) { x.Samples[0].Flags |= 1 << 5 }},
		{"duration without its flag", func(x *Index) { x.Samples[0].Duration = 1 }},
		{"one track number twice", func(x *Index) { x.Header.Tracks[3].Number = 1 }},
		{"too many tracks", func(x *Index) { x.Header.Tracks = make([]mkv.Track, mkv.MaxTracks+1) }},
		{"too many tags", func(x *Index) { x.Tags.Other = make([]mkv.SimpleTag, mkv.MaxSimpleTags+1) }},
		{"too many samples", func(x *Index) { x.Samples = make([]Sample, mkv.MaxFramesPerFragment+1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := small()
			c.edit(x)
			_, err := x.Marshal()
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
	x := small()
	n, err := x.MarshalTo(make([]byte, x.MarshalSize()-1))
	assert.ErrorIs(t, err, io.ErrShortBuffer)
	assert.Zero(t, n)
}

// seal appends the checksum to parts.
func seal(parts ...[]byte) []byte {
	b := bytes.Join(parts, nil)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli()))
}

// uv is a varint at its shortest.
func uv(v uint64) []byte { return binary.AppendUvarint(nil, v) }

// encodedHead returns the encoding of small() up to its sample count.
func encodedHead(t *testing.T) []byte {
	x := small()
	x.Samples = nil
	b, err := x.Marshal()
	require.NoError(t, err)
	return b[:len(b)-5] // the count of 0 and the checksum
}

func TestUnmarshalRefuses(t *testing.T) {
	head := encodedHead(t)
	valid, err := small().Marshal()
	require.NoError(t, err)
	ver := len(magic)
	emptyHeader := []byte{10, 1, 0, 0, 0} // DocSize 10, TimecodeScale 1, three empty strings
	tagsNone := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, c := range []struct {
		name  string
		input []byte
		also  error
	}{
		{"empty", nil, nil},
		{"magic only", []byte(magic), nil},
		{"other magic", seal([]byte("KVSY"), valid[ver:len(valid)-4]), nil},
		{"newer version", seal([]byte(magic), []byte{version + 1}, valid[ver+1:len(valid)-4]), ErrVersion},
		{"checksum", append(bytes.Clone(valid[:len(valid)-1]), valid[len(valid)-1]^1), nil},
		{"bit flip", func() []byte { b := bytes.Clone(valid); b[len(b)/2] ^= 4; return b }(), nil},
		{"cut short", seal(valid[:len(valid)-6]), nil},
		{"trailing byte", seal(valid[:len(valid)-4], []byte{0}), nil},
		{"too long", make([]byte, MaxEncodedSize+1), nil},
		{"varint not shortest", seal([]byte(magic), []byte{version, 0x8a, 0x00}, emptyHeader[1:], []byte{0, 0}, tagsNone, []byte{0}), nil},
		{"varint overflow", seal([]byte(magic), []byte{version}, bytes.Repeat([]byte{0xff}, 10), []byte{1}), nil},
		{"document too large", seal([]byte(magic), []byte{version}, uv(mkv.MaxFragmentSize+1), emptyHeader[1:], []byte{0, 0}, tagsNone, []byte{0}), nil},
		{"too many tracks", seal([]byte(magic), []byte{version}, emptyHeader, uv(mkv.MaxTracks+1), bytes.Repeat([]byte{0}, 1000)), nil},
		{"tracks beyond the bytes", seal([]byte(magic), []byte{version}, emptyHeader, uv(2), bytes.Repeat([]byte{0}, 30)), nil},
		{"unknown fragment flags", seal([]byte(magic), []byte{version}, emptyHeader, []byte{0, 0, 0x20}, tagsNone[1:], []byte{0}), nil},
		{"too many tags", seal([]byte(magic), []byte{version}, emptyHeader, []byte{0, 0}, tagsNone[:8], uv(mkv.MaxSimpleTags+1), bytes.Repeat([]byte{0}, 600)), nil},
		{"too many samples", seal(head, uv(mkv.MaxFramesPerFragment+1), bytes.Repeat([]byte{0}, 5*mkv.MaxFramesPerFragment)), nil},
		{"samples beyond the bytes", seal(head, uv(1000), bytes.Repeat([]byte{0}, 100)), nil},
		{"sample past the end", seal(head, uv(1), []byte{0, 2, 0xe8, 0x07, 0}), nil}, // 1000 bytes at 1 of 1000
		{"sample before the start", seal(head, uv(1), []byte{0, 1, 0, 0}), nil},      // offset -1
		{"track position beyond the tracks", seal([]byte(magic), []byte{version}, emptyHeader, []byte{0, 0}, tagsNone, uv(1), []byte{0x80, 0, 0, 0}), nil},
		{"track by number that has a position", seal(head, uv(1), []byte{0xc0, 1, 0, 0, 0}), nil},
		{"lace 0 written", seal(head, uv(1), []byte{0x20, 0, 0, 0, 0}), nil},
		{"size over 32 bits", seal(head, uv(1), []byte{0, 0}, uv(1<<32), []byte{0}), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			x, err := Unmarshal(c.input)
			require.Error(t, err)
			assert.Nil(t, x)
			assert.ErrorIs(t, err, ErrCorrupt)
			if c.also != nil {
				assert.ErrorIs(t, err, c.also)
			}
			var into Index
			assert.ErrorIs(t, into.Unmarshal(c.input), ErrCorrupt)
		})
	}
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzUnmarshal from the recordings and edge cases")

// seeds are the corpus FuzzUnmarshal starts from: the encoded indexes of
// the committed recordings (the first fragment of each) and edge cases.
func seeds(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	seen := map[string]bool{}
	for _, d := range testDocs(t) {
		file, _, _ := strings.Cut(d.name, "#")
		if seen[file] {
			continue
		}
		seen[file] = true
		x, err := Build(d.doc)
		require.NoError(t, err)
		b, err := x.Marshal()
		require.NoError(t, err)
		out[strings.TrimSuffix(file, ".getmedia.mkv")] = b
	}
	for name, x := range map[string]*Index{
		"small":      small(),
		"no-samples": {Header: &mkv.Header{}},
	} {
		b, err := x.Marshal()
		require.NoError(t, err)
		out[name] = b
	}
	out["bad-checksum"] = append(bytes.Clone(out["small"][:len(out["small"])-1]), 0)
	out["newer-version"] = seal([]byte(magic), []byte{version + 1}, out["small"][len(magic)+1:len(out["small"])-4])
	return out
}

func seedFile(b []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
}

// TestFuzzSeeds keeps the committed corpus in step with the encoder and
// the recordings; -update-seeds rewrites it.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzUnmarshal")
	for name, b := range seeds(t) {
		path := filepath.Join(dir, name)
		if *updateSeeds {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(path, seedFile(b), 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./fragindex -run TestFuzzSeeds -update-seeds")
		assert.True(t, bytes.Equal(seedFile(b), got), "%s is stale: run with -update-seeds", name)
	}
}

// FuzzUnmarshal feeds arbitrary bytes to Unmarshal: it must not panic,
// must allocate within MaxUnmarshalAlloc, must fail only with ErrCorrupt, and whatever it decodes must encode to
// the same bytes (the encoding is canonical) and describe samples inside
// the document. Seeds: testdata/fuzz/FuzzUnmarshal (TestFuzzSeeds).
func FuzzUnmarshal(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		before := mediatest.HeapAllocated()
		x, err := Unmarshal(b)
		if got := mediatest.HeapAllocated() - before; got > uint64(MaxUnmarshalAlloc(len(b))) {
			// The cheap figure can be a span off: measure exactly.
			before = mediatest.HeapAllocatedExact()
			_, _ = Unmarshal(b)
			if got = mediatest.HeapAllocatedExact() - before; got > uint64(MaxUnmarshalAlloc(len(b))) {
				t.Fatalf("Unmarshal allocated %d bytes for %d of input, bound %d", got, len(b), MaxUnmarshalAlloc(len(b)))
			}
		}
		size, serr := DocSize(b)
		if serr != nil && !errors.Is(serr, ErrCorrupt) {
			t.Fatalf("DocSize: %v", serr)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || x != nil {
				t.Fatalf("Unmarshal: %v, %v", x, err)
			}
			return
		}
		if serr != nil || size != x.DocSize {
			t.Fatalf("DocSize %d, %v; the index says %d", size, serr, x.DocSize)
		}
		if n := x.MarshalSize(); n != len(b) {
			t.Fatalf("MarshalSize %d of a %d-byte encoding", n, len(b))
		}
		again, err := x.Marshal()
		if err != nil {
			t.Fatalf("decoded index does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, again)
		}
		for i, s := range x.Samples {
			if s.Offset < 0 || s.Offset+int64(s.Size) > x.DocSize {
				t.Fatalf("sample %d outside the document: %+v", i, s)
			}
		}
	})
}

// TestUnmarshalAllocBound decodes the inputs that allocate the most per
// byte — the most samples, tracks and tags of the fewest bytes — and
// holds each to MaxUnmarshalAlloc.
func TestUnmarshalAllocBound(t *testing.T) {
	emptyHeader := []byte{0, 1, 0, 0, 0}
	tagsNone := []byte{0, 0, 0, 0, 0, 0, 0, 0}
	minSample := []byte{0, 0, 0, 0} // the first track, at 0, 0 bytes, no delta
	track := append([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 8)...)
	track = append(track, 0, 0)
	samples := seal([]byte(magic), []byte{version}, emptyHeader, uv(1), track, []byte{0}, tagsNone, []byte{0},
		uv(mkv.MaxFramesPerFragment), bytes.Repeat(minSample, mkv.MaxFramesPerFragment))
	var tracks [][]byte
	for i := range mkv.MaxTracks {
		tr := bytes.Clone(track)
		tr[0] = byte(i + 1)
		tracks = append(tracks, tr)
	}
	manyTracks := seal([]byte(magic), []byte{version}, emptyHeader, uv(mkv.MaxTracks), bytes.Join(tracks, nil), []byte{0}, tagsNone, []byte{0}, []byte{0})
	manyTags := seal([]byte(magic), []byte{version}, emptyHeader, []byte{0, 0}, tagsNone, uv(mkv.MaxSimpleTags), make([]byte, 2*mkv.MaxSimpleTags), []byte{0})
	for name, b := range map[string][]byte{"samples": samples, "tracks": manyTracks, "tags": manyTags} {
		t.Run(name, func(t *testing.T) {
			_, err := Unmarshal(b)
			require.NoError(t, err)
			before := mediatest.HeapAllocatedExact()
			_, _ = Unmarshal(b)
			got := mediatest.HeapAllocatedExact() - before
			assert.LessOrEqual(t, got, uint64(MaxUnmarshalAlloc(len(b))), "%d bytes of input", len(b))
			t.Logf("%d bytes allocated for %d of input", got, len(b))
		})
	}
}
