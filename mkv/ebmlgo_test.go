package mkv

import (
	"bytes"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	ebml "github.com/at-wat/ebml-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file checks the Reader against a second, independent decoder:
// github.com/at-wat/ebml-go, which decodes EBML by reflection into the
// structs below. The Reader frames the input (it decides where each
// fragment and each element lies, and has checked their sizes); ebml-go
// then decodes the contents of one master element at a time (one Info,
// Tracks, Tags or Cluster) and the two must agree on what they hold:
// TimecodeScale, the tracks' numbers, codec IDs and CodecPrivate, the
// SimpleTags, the Cluster's Timecode, and every frame's track, time, key
// flag and bytes.
//
// Only what both decoders accept is compared: an element ebml-go refuses
// (it knows fewer elements than it meets in fuzzed input, and refuses
// unknown ones), or one it is known to misread (misreadLace), is counted
// as declined, and an input the Reader refuses needs no second opinion.

// ebmlGoMaxLeaf bounds the leaf elements (binary, string, block) ebml-go
// may allocate while decoding one element. ebml-go allocates a leaf's
// declared size before reading it, and inside a master of unknown size
// nothing checks that size against the input: with its default bound of
// 128 MiB a 14-byte input cost it 134 MB. Each decode is further bounded by
// the length of the element handed over, which no leaf inside can exceed.
const ebmlGoMaxLeaf = MaxFragmentSize

// The structs ebml-go decodes into: the elements the Reader interprets,
// named as ebml-go's element table names them. Every other known element
// is decoded and dropped.

// ebmlGoTop holds the top-level master elements (the ones ebml-go treats
// as ending a master of unknown size). One element is handed over at a
// time, so exactly one of these lists must come back with one entry; more
// means ebml-go split the element where it met a nested top-level ID.
type ebmlGoTop struct {
	Info        []ebmlGoInfo
	Tracks      []ebmlGoTracks
	Tags        []ebmlGoTags
	Cluster     []ebmlGoCluster
	SeekHead    []struct{}
	Cues        []struct{}
	Chapters    []struct{}
	Attachments []struct{}
}

func (t *ebmlGoTop) elements() int {
	return len(t.Info) + len(t.Tracks) + len(t.Tags) + len(t.Cluster) +
		len(t.SeekHead) + len(t.Cues) + len(t.Chapters) + len(t.Attachments)
}

type ebmlGoInfo struct {
	TimecodeScale uint64
}

type ebmlGoTracks struct {
	TrackEntry []ebmlGoTrackEntry
}

type ebmlGoTrackEntry struct {
	TrackNumber  uint64
	CodecID      string
	CodecPrivate []byte
}

type ebmlGoTags struct {
	Tag []ebmlGoTag
}

type ebmlGoTag struct {
	SimpleTag []ebmlGoSimpleTag
}

type ebmlGoSimpleTag struct {
	TagName   string
	TagString string
}

type ebmlGoCluster struct {
	Timecode    uint64
	SimpleBlock []ebml.Block
	BlockGroup  []ebmlGoBlockGroup
}

type ebmlGoBlockGroup struct {
	Block          []ebml.Block
	ReferenceBlock []int64
}

// EBMLGoTally counts the elements EBMLGoAgrees handed to ebml-go.
type EBMLGoTally struct {
	// Compared elements were decoded by ebml-go and agreed with the Reader.
	Compared int
	// Declined elements were refused by ebml-go (or cut by the end of
	// the input), so there was nothing to compare.
	Declined int
}

// EBMLGoAgrees reads data with a Reader over the bytes and checks every
// fragment it returns against ebml-go's decoding of the same elements,
// failing t on the first disagreement. It stops where the Reader stops.
// It is exported for the Writer's tests in package mkv_test.
func EBMLGoAgrees(t testing.TB, data []byte) EBMLGoTally {
	t.Helper()
	w := ebmlGoWalker{t: t, data: data, segEnd: -1}
	r := NewBytesReader(data)
	for {
		f, err := r.Next()
		if err != nil {
			return w.tally
		}
		w.fragment(f)
	}
}

// ebmlGoWalker follows the Reader's framing through the input: where the
// Info and Tracks in force are, and where the current Segment ends.
type ebmlGoWalker struct {
	t     testing.TB
	data  []byte
	tally EBMLGoTally

	info, tracks []byte // whole elements of the current document, nil if none
	segEnd       int64  // end of a known-size Segment, -1 if none
}

// fragment splits f's bytes into their top-level elements and compares
// the Reader's view of each with ebml-go's.
func (w *ebmlGoWalker) fragment(f *Fragment) {
	data := w.data
	end := f.Offset + f.Size
	var tags [][]byte
	var cluster []byte
	hasCluster := false
	for pos := f.Offset; pos < end; {
		id, hdr, size, ok := elementAt(data[pos:end])
		if !ok {
			break // an element header cut by the end of the input
		}
		if id == idSegment {
			w.segEnd = -1
			if size != unknownSize {
				w.segEnd = pos + int64(hdr) + int64(min(size, 1<<62))
			}
			pos += int64(hdr)
			continue
		}
		next := pos + int64(hdr) + int64(min(size, 1<<62))
		if id == idCluster && size == unknownSize {
			next = w.unknownClusterEnd(pos+int64(hdr), end)
		}
		if next > end || next < pos {
			if id == idCluster {
				hasCluster = true
				w.tally.Declined++ // cut: the Reader kept its whole frames only
			}
			break
		}
		el := data[pos:next]
		switch id {
		case idEBML:
			w.info, w.tracks = nil, nil
		case idInfo:
			w.info = el
		case idTracks:
			w.tracks = el
		case idTags:
			tags = append(tags, el)
		case idCluster:
			cluster, hasCluster = el, true
		}
		pos = next
	}
	w.header(f)
	w.tags(f, tags)
	if cluster != nil {
		w.cluster(f, cluster)
	}
	if !hasCluster && len(f.Blocks) > 0 {
		w.t.Fatalf("fragment %d: %d blocks but no Cluster in its bytes", f.Index, len(f.Blocks))
	}
}

// elementAt reads the element header at the start of b.
func elementAt(b []byte) (id uint32, hdr int, size uint64, ok bool) {
	id, n := readID(b)
	if n <= 0 {
		return 0, 0, 0, false
	}
	size, m := readSize(b[n:])
	if m <= 0 {
		return 0, 0, 0, false
	}
	return id, n + m, size, true
}

// unknownClusterEnd returns where a Cluster of unknown size whose children
// start at pos ends: at the first element that cannot be its child, at the
// end of its Segment, or after its last whole child.
func (w *ebmlGoWalker) unknownClusterEnd(pos, end int64) int64 {
	if w.segEnd >= 0 {
		end = min(end, w.segEnd)
	}
	for pos < end {
		id, hdr, size, ok := elementAt(w.data[pos:end])
		if !ok || !isClusterChild(id) || size > uint64(end-pos-int64(hdr)) {
			break
		}
		pos += int64(hdr) + int64(size)
	}
	return pos
}

// decode has ebml-go decode el, one top-level element whose size the
// Reader has checked, and returns false when ebml-go refuses it.
func (w *ebmlGoWalker) decode(el []byte, top *ebmlGoTop, hooks ...func(*ebml.Element)) (ok bool) {
	defer func() {
		// A panic inside ebml-go is ebml-go's bug, not a disagreement.
		if p := recover(); p != nil {
			w.t.Logf("ebml-go panicked on % x: %v", el, p)
			ok = false
		}
	}()
	opts := []ebml.UnmarshalOption{ebml.WithMaxLeafElementSize(min(uint64(len(el)), ebmlGoMaxLeaf))}
	if len(hooks) > 0 {
		opts = append(opts, ebml.WithElementReadHooks(hooks...))
	}
	if err := ebml.Unmarshal(bytes.NewReader(el), top, opts...); err != nil || top.elements() != 1 {
		w.tally.Declined++
		return false
	}
	w.tally.Compared++
	return true
}

// header compares f.Header with the Info and Tracks in force.
func (w *ebmlGoWalker) header(f *Fragment) {
	t := w.t
	if w.tracks == nil {
		if f.Header != nil {
			t.Fatalf("fragment %d has a header but no Tracks precede it", f.Index)
		}
		return
	}
	if f.Header == nil {
		t.Fatalf("fragment %d has no header after a Tracks element", f.Index)
	}
	scale := uint64(defaultTimecodeScale)
	if w.info != nil {
		var top ebmlGoTop
		if !w.decode(w.info, &top) {
			return
		}
		if len(top.Info) != 1 {
			t.Fatalf("ebml-go decoded an Info element as %+v", top)
		}
		if s := top.Info[0].TimecodeScale; s != 0 {
			scale = s
		}
	}
	var top ebmlGoTop
	if !w.decode(w.tracks, &top) {
		return
	}
	if len(top.Tracks) != 1 {
		t.Fatalf("ebml-go decoded a Tracks element as %+v", top)
	}
	entries := top.Tracks[0].TrackEntry
	h := f.Header
	require.Equal(t, scale, h.TimecodeScale, "fragment %d: TimecodeScale", f.Index)
	require.Len(t, h.Tracks, len(entries), "fragment %d: tracks", f.Index)
	for i, e := range entries {
		got := h.Tracks[i]
		require.Equal(t, e.TrackNumber, got.Number, "fragment %d track %d: number", f.Index, i)
		require.Equal(t, limitString(e.CodecID), got.CodecID, "fragment %d track %d: CodecID", f.Index, i)
		require.True(t, bytes.Equal(e.CodecPrivate, got.CodecPrivate),
			"fragment %d track %d: CodecPrivate % x, ebml-go % x", f.Index, i, got.CodecPrivate, e.CodecPrivate)
	}
}

// limitString applies the Reader's documented bound on header strings.
func limitString(s string) string {
	return s[:min(len(s), maxStringSize)]
}

// tags compares f.Tags with ebml-go's SimpleTags of the fragment's Tags
// elements. Several Tags elements combine by the Reader's merge rule.
func (w *ebmlGoWalker) tags(f *Fragment, elements [][]byte) {
	var want Tags
	for _, el := range elements {
		var top ebmlGoTop
		if !w.decode(el, &top) {
			return // the tags cannot be compared without all of them
		}
		if len(top.Tags) != 1 {
			w.t.Fatalf("ebml-go decoded a Tags element as %+v", top)
		}
		var one Tags
		for _, tag := range top.Tags[0].Tag {
			for _, st := range tag.SimpleTag {
				w.setTag(&one, st.TagName, st.TagString, f)
			}
		}
		want.merge(&one)
	}
	got := f.Tags
	if len(got.Other) == 0 {
		got.Other = nil
	}
	require.Equal(w.t, want, got, "fragment %d: tags", f.Index)
}

// setTag records one SimpleTag as the Reader documents its tags, with the
// numbers parsed by math/big rather than the Reader's parsers. A value the
// Reader accepted and that is refused here is a disagreement.
func (w *ebmlGoWalker) setTag(t *Tags, name, value string, f *Fragment) {
	bad := func() {
		w.t.Fatalf("fragment %d: the Reader accepted tag %s = %q", f.Index, name, value)
	}
	switch name {
	case TagProducerTimestamp, TagServerTimestamp:
		ms, ok := millisOf(value)
		if !ok {
			bad()
		}
		if name == TagProducerTimestamp {
			t.ProducerTimestamp, t.HasProducerTimestamp = ms, true
		} else {
			t.ServerTimestamp, t.HasServerTimestamp = ms, true
		}
	case TagMillisBehindNow, TagErrorID:
		n, ok := new(big.Int).SetString(value, 10)
		if !ok || !n.IsInt64() {
			bad()
		}
		if name == TagErrorID {
			t.ErrorID = n.Int64()
		} else {
			t.MillisBehindNow, t.HasMillisBehindNow = n.Int64(), true
		}
	default:
		// The other tags are strings, kept as ebml-go decoded them; the
		// Reader's rule says which field each goes to.
		if t.set(name, value, 0) != nil {
			bad()
		}
	}
}

// millisOf converts decimal epoch seconds to whole milliseconds, rounding
// down, exactly.
func millisOf(s string) (int64, bool) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return 0, false
	}
	r.Mul(r, big.NewRat(1000, 1))
	ms := new(big.Int).Quo(r.Num(), r.Denom())
	return ms.Int64(), ms.IsInt64()
}

// cluster compares f's Timecode and blocks with ebml-go's decoding of its
// Cluster, el.
func (w *ebmlGoWalker) cluster(f *Fragment, el []byte) {
	t := w.t
	// ebml-go fills SimpleBlock and BlockGroup as separate lists; the
	// hook records the order they came in, which is the frames' order.
	var groupAt []bool
	order := func(e *ebml.Element) {
		if e.Parent == nil || e.Parent.Type != ebml.ElementCluster {
			return
		}
		switch e.Type {
		case ebml.ElementSimpleBlock:
			groupAt = append(groupAt, false)
		case ebml.ElementBlockGroup:
			groupAt = append(groupAt, true)
		}
	}
	var top ebmlGoTop
	if !w.decode(el, &top, order) {
		return
	}
	if len(top.Cluster) != 1 {
		t.Fatalf("ebml-go decoded a Cluster element as %+v", top)
	}
	c := top.Cluster[0]
	if misreadLace(&c) {
		w.tally.Compared--
		w.tally.Declined++
		return
	}
	require.Equal(t, int64(c.Timecode), f.Timecode, "fragment %d: Cluster Timecode", f.Index)
	var want []string
	simple, group := c.SimpleBlock, c.BlockGroup
	for _, isGroup := range groupAt {
		var b ebml.Block
		key := false
		if isGroup {
			g := group[0]
			group = group[1:]
			if len(g.Block) != 1 {
				t.Fatalf("fragment %d: the Reader accepted a BlockGroup of %d Blocks", f.Index, len(g.Block))
			}
			b, key = g.Block[0], len(g.ReferenceBlock) == 0
		} else {
			b, simple = simple[0], simple[1:]
			key = b.Keyframe
		}
		for _, frame := range b.Data {
			want = append(want, blockDigest(b.TrackNumber, int64(c.Timecode)+int64(b.Timecode), key, frame))
		}
	}
	var got []string
	for _, b := range f.Blocks {
		got = append(got, blockDigest(b.Track, b.Time, b.Keyframe, b.Data))
	}
	require.Equal(t, want, got, "fragment %d: blocks", f.Index)
}

// misreadLace reports whether c has a block that ebml-go v0.19.4 is known
// to decode wrongly: an EBML lace of one frame. A lace codes the sizes of
// all its frames but the last, so one frame has none, but ebml-go reads a
// size all the same and drops the frame's first bytes as that size (found
// by FuzzReader; TestEBMLGoSingleFrameLace shows it).
func misreadLace(c *ebmlGoCluster) bool {
	blocks := c.SimpleBlock
	for _, g := range c.BlockGroup {
		blocks = append(blocks, g.Block...)
	}
	for _, b := range blocks {
		if b.Lacing == ebml.LacingEBML && len(b.Data) == 1 {
			return true
		}
	}
	return false
}

// TestEBMLGoSingleFrameLace pins the ebml-go behaviour misreadLace works
// around, so that an upgrade that fixes it fails here and the exception
// can go, and checks that the Reader reads such a block right.
func TestEBMLGoSingleFrameLace(t *testing.T) {
	// Track 1, time 0, EBML lacing, one frame (count 0) of 4 bytes whose
	// first byte reads like a size (0x82: 2).
	body := []byte{0x81, 0, 0, 0x06, 0, 0x82, 0xA, 0xB, 0xC}
	b, err := ebml.UnmarshalBlock(bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	assert.Equal(t, [][]byte{{0xA, 0xB, 0xC}}, b.Data, "ebml-go drops the frame's first byte as a size")

	f, err := NewBytesReader(doc(el(idCluster, el(idTimecode, u(0)), el(idSimpleBlock, body)))).Next()
	require.NoError(t, err)
	require.Len(t, f.Blocks, 1)
	assert.Equal(t, []byte{0x82, 0xA, 0xB, 0xC}, f.Blocks[0].Data)
}

// blockDigest is one frame as the comparison sees it.
func blockDigest(track uint64, time int64, key bool, data []byte) string {
	return fmt.Sprintf("track %d time %d key %v data % x", track, time, key, data)
}

// failRecorder is a testing.TB that records a failure instead of ending
// the test, so that the comparison itself can be tested.
type failRecorder struct {
	testing.TB
	failed bool
}

// errRecordedFailure unwinds a comparison that failed.
var errRecordedFailure = fmt.Errorf("recorded failure")

func (r *failRecorder) Helper()                        {}
func (r *failRecorder) Logf(string, ...any)            {}
func (r *failRecorder) Errorf(string, ...any)          { r.failed = true }
func (r *failRecorder) FailNow()                       { r.failed = true; panic(errRecordedFailure) }
func (r *failRecorder) Fatalf(format string, a ...any) { r.FailNow() }

// TestEBMLGoCatchesDisagreements checks that the comparison notices each
// kind of difference: a fragment of the Writer's golden output, read by
// the Reader and then altered, must fail it; unaltered, it must pass.
func TestEBMLGoCatchesDisagreements(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "writer", "getmedia.golden"))
	require.NoError(t, err)
	read, err := NewBytesReader(data).Next()
	require.NoError(t, err)
	tests := []struct {
		name  string
		alter func(f *Fragment)
	}{
		{"unaltered", func(*Fragment) {}},
		{"TimecodeScale", func(f *Fragment) { f.Header.TimecodeScale++ }},
		{"track count", func(f *Fragment) { f.Header.Tracks = f.Header.Tracks[:1] }},
		{"track number", func(f *Fragment) { f.Header.Tracks[1].Number = 3 }},
		{"codec ID", func(f *Fragment) { f.Header.Tracks[0].CodecID = "V_MPEGH/ISO/HEVC" }},
		{"codec private", func(f *Fragment) { f.Header.Tracks[1].CodecPrivate = []byte{0x12, 0x10} }},
		{"fragment number", func(f *Fragment) { f.Tags.FragmentNumber += "1" }},
		{"producer timestamp", func(f *Fragment) { f.Tags.ProducerTimestamp++ }},
		{"continuation token", func(f *Fragment) { f.Tags.ContinuationToken = "" }},
		{"end of fragment", func(f *Fragment) { f.Tags.EndOfFragment = false }},
		{"other tag", func(f *Fragment) { f.Tags.Other[0].Value = "x" }},
		{"Cluster Timecode", func(f *Fragment) { f.Timecode++ }},
		{"block count", func(f *Fragment) { f.Blocks = f.Blocks[1:] }},
		{"block track", func(f *Fragment) { f.Blocks[1].Track = 1 }},
		{"block time", func(f *Fragment) { f.Blocks[2].Time-- }},
		{"key flag", func(f *Fragment) { f.Blocks[2].Keyframe = true }},
		{"payload", func(f *Fragment) { f.Blocks[0].Data[5] ^= 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := read.Clone()
			h := *read.Header
			h.Tracks = append([]Track(nil), h.Tracks...)
			f.Header = &h
			tt.alter(f)
			rec := &failRecorder{TB: t}
			w := ebmlGoWalker{t: rec, data: data, segEnd: -1}
			func() {
				defer func() {
					if p := recover(); p != nil && p != errRecordedFailure {
						panic(p)
					}
				}()
				w.fragment(f)
			}()
			assert.Equal(t, tt.name != "unaltered", rec.failed)
			assert.Zero(t, w.tally.Declined)
		})
	}
}
