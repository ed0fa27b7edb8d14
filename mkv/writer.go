package mkv

// The Writer encodes EBML by hand rather than through github.com/at-wat/ebml-go:
// the elements are few and fixed, KVS needs byte-level control the library
// does not offer (4-byte size fields on tag elements, an 8-byte unknown
// Segment size, a 1-byte unknown Cluster size), and appending into one reused
// buffer keeps a steady-state WriteFragment free of allocations.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/kvsclip/kvsclip/kvs"
)

// Layout selects how a Writer arranges fragments in its output.
type Layout int

const (
	// LayoutGetMedia writes every fragment as a self-contained EBML
	// document (EBML header, unknown-size Segment, Info, Tracks, Tags,
	// Cluster, Tags), the shape GetMedia and GetMediaForFragmentList
	// return. Concatenated documents are what a GetMedia dump holds.
	LayoutGetMedia Layout = iota
	// LayoutProducer writes one EBML header, one unknown-size Segment and
	// Info and Tracks once, then a Cluster per fragment: the shape the
	// producer SDK sends to PutMedia.
	LayoutProducer
)

// String names the layout for test and error messages.
func (l Layout) String() string {
	switch l {
	case LayoutGetMedia:
		return "GetMedia"
	case LayoutProducer:
		return "Producer"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// WriterOptions configure a Writer. The zero value, or nil, writes GetMedia
// documents with known-size Clusters.
type WriterOptions struct {
	// Layout is the arrangement of the output; LayoutGetMedia by default.
	Layout Layout
	// UnknownSizeClusters writes each Cluster with the 1-byte unknown size
	// 0xFF, as the producer SDK does because it streams frames before the
	// fragment is complete. By default Clusters carry their size, as
	// ffmpeg and mkvmerge write them.
	UnknownSizeClusters bool
}

// Errors of the Writer. The errors WriteFragment returns wrap one of them, or
// ErrUnknownTrack for a block whose track the header does not declare.
var (
	// ErrInvalidFragment: the fragment cannot be written as KVS Matroska
	// (no header, a value out of range, a block too far from the Cluster
	// timecode for a 16-bit offset, a malformed AWS tag value).
	ErrInvalidFragment = errors.New("fragment cannot be written")
	// ErrHeaderChanged: in LayoutProducer a fragment's header differs from
	// the one already written; a producer stream has one Segment and so
	// one Info and Tracks.
	ErrHeaderChanged = errors.New("header differs from the stream's header")
	// ErrWriterClosed: WriteFragment after Close.
	ErrWriterClosed = errors.New("writer is closed")
)

// Writer writes KVS fragments as Matroska. It builds each fragment in a
// buffer it reuses and hands it to the underlying io.Writer in one Write, so
// a fragment is either written whole or the Writer reports the error.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	w    io.Writer
	opts WriterOptions
	buf  []byte
	err  error // sticky: set by a failed Write to w, or by Close

	// LayoutProducer: the header already written, by pointer and as the
	// encoded Info and Tracks that later headers are compared with.
	header      *Header
	headerBytes []byte
	// Scratch for ReferenceBlock values, reused between calls: the last
	// block time per track, and the value per block.
	last []trackTime
	refs []int64
}

type trackTime struct {
	track uint64
	time  int64
}

// NewWriter returns a Writer that writes fragments to w as opts says; nil
// opts gives the defaults.
func NewWriter(w io.Writer, opts *WriterOptions) *Writer {
	wr := &Writer{w: w}
	if opts != nil {
		wr.opts = *opts
	}
	return wr
}

// WriteFragment writes one fragment: f.Header, f.Timecode, f.Blocks and
// f.Tags; its other fields are ignored. Blocks are written in order, each
// unlaced (Lace is ignored): as a SimpleBlock, or as a BlockGroup when
// HasDuration is set. A fragment that cannot be encoded is refused before
// anything is written, and the Writer stays usable; a failed write to the
// underlying writer is returned again by every later call.
//
// Tags are placed where KVS and the producer SDK put them:
//
//   - AWS_KINESISVIDEO_FRAGMENT_NUMBER, _SERVER_TIMESTAMP and
//     _PRODUCER_TIMESTAMP, in that order, in one Tags element before the
//     Cluster (both layouts);
//   - Tags.Other, in a Tags element of its own right after the Cluster,
//     where the producer SDK writes fragment metadata and where KVS keeps
//     it in the fragment's GetMedia document; a Reader assigns Tags found
//     between two Clusters to the earlier one unless they carry the tags
//     that open a fragment, so this placement reads back into the same
//     fragment in both layouts;
//   - AWS_KINESISVIDEO_END_OF_FRAGMENT (empty value) in a Tags element of
//     its own after that, since it closes the fragment;
//   - LayoutGetMedia only: AWS_KINESISVIDEO_MILLIS_BEHIND_NOW,
//     _CONTINUATION_TOKEN, _ERROR_CODE and _ERROR_ID in a last Tags element.
//     GetMedia adds them when it serves a fragment; a producer never sends
//     them, so LayoutProducer leaves them out.
//
// KVS writes its tag elements with 4-byte size fields; the Writer does so for
// every tag element. Tags.Other is written verbatim, even names that look
// like AWS tags, so tests can build odd input on purpose.
func (w *Writer) WriteFragment(f *Fragment) error {
	if w.err != nil {
		return w.err
	}
	if f == nil {
		return fmt.Errorf("mkv: write fragment: nil fragment: %w", ErrInvalidFragment)
	}
	if err := w.check(f); err != nil {
		return err
	}
	b := w.buf[:0]
	var newHeader []byte
	switch w.opts.Layout {
	case LayoutProducer:
		if w.header == nil {
			b = appendEBMLHeader(b)
			// The SDK streams, so it never knows the Segment's size:
			// the 1-byte unknown size.
			b = appendID(b, idSegment)
			b = append(b, 0xFF)
			start := len(b)
			b = appendInfoTracks(b, f.Header)
			newHeader = b[start:]
		} else if f.Header != w.header {
			start := len(b)
			b = appendInfoTracks(b, f.Header)
			same := bytes.Equal(b[start:], w.headerBytes)
			b = b[:start]
			if !same {
				w.buf = b
				return fmt.Errorf("mkv: write fragment %s: %w", f.Name(), ErrHeaderChanged)
			}
		}
	default:
		b = appendEBMLHeader(b)
		// KVS writes the unknown Segment size with all 8 bytes.
		b = appendID(b, idSegment)
		b = append(b, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
		b = appendInfoTracks(b, f.Header)
	}

	t := &f.Tags
	if t.FragmentNumber != "" || t.HasServerTimestamp || t.HasProducerTimestamp {
		tags, tag := beginTags(&b)
		if t.FragmentNumber != "" {
			b = appendSimpleTag(b, TagFragmentNumber, t.FragmentNumber)
		}
		if t.HasServerTimestamp {
			b = appendMillisTag(b, TagServerTimestamp, t.ServerTimestamp)
		}
		if t.HasProducerTimestamp {
			b = appendMillisTag(b, TagProducerTimestamp, t.ProducerTimestamp)
		}
		endTags(b, tags, tag)
	}

	b = w.appendCluster(b, f)

	if len(t.Other) > 0 {
		tags, tag := beginTags(&b)
		for _, st := range t.Other {
			b = appendSimpleTag(b, st.Name, st.Value)
		}
		endTags(b, tags, tag)
	}
	if t.EndOfFragment {
		tags, tag := beginTags(&b)
		b = appendSimpleTag(b, TagEndOfFragment, "")
		endTags(b, tags, tag)
	}
	if w.opts.Layout != LayoutProducer {
		b = AppendGetMediaTags(b, t)
	}

	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("mkv: write fragment %s: %w", f.Name(), err)
		return w.err
	}
	if newHeader != nil {
		// Only now is the header part of the stream.
		w.header = f.Header
		w.headerBytes = append(w.headerBytes[:0], newHeader...)
	}
	return nil
}

// Close ends the stream. Segments and producer Clusters have unknown sizes,
// so nothing is left to write; Close flushes the underlying writer when it
// has a Flush method (bufio.Writer) and does not close it. A producer-layout
// Writer that wrote no fragment writes nothing, not even a header, because
// it never learnt one.
func (w *Writer) Close() error {
	if w.err != nil {
		if w.err == ErrWriterClosed {
			return nil
		}
		return w.err
	}
	w.err = ErrWriterClosed
	if fl, ok := w.w.(interface{ Flush() error }); ok {
		if err := fl.Flush(); err != nil {
			return fmt.Errorf("mkv: flush: %w", err)
		}
	}
	return nil
}

// check validates f before any byte is built, so that a refused fragment
// leaves neither the output nor the Writer's state half-changed. The bounds
// are those the Reader enforces, so that what is written reads back.
func (w *Writer) check(f *Fragment) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("mkv: write fragment %s: %s: %w", f.Name(), fmt.Sprintf(format, args...), ErrInvalidFragment)
	}
	h := f.Header
	if h == nil {
		return fail("no header")
	}
	if h.TimecodeScale == 0 || h.TimecodeScale > MaxTimecodeScale {
		return fail("TimecodeScale %d out of range 1..%d", h.TimecodeScale, MaxTimecodeScale)
	}
	for i, tr := range h.Tracks {
		if tr.Number == 0 || tr.Number > maxTrackNumber {
			return fail("track number %d out of range 1..%d", tr.Number, maxTrackNumber)
		}
		if h.Track(tr.Number) != &h.Tracks[i] {
			return fail("track number %d declared twice", tr.Number)
		}
		if math.IsNaN(tr.SamplingFrequency) || tr.SamplingFrequency < 0 {
			return fail("track %d: SamplingFrequency %v", tr.Number, tr.SamplingFrequency)
		}
	}
	if f.Timecode < 0 || f.Timecode > math.MaxInt64/int64(h.TimecodeScale)/2 {
		return fail("Cluster timecode %d out of range", f.Timecode)
	}
	for i := range f.Blocks {
		bl := &f.Blocks[i]
		if h.Track(bl.Track) == nil {
			return fmt.Errorf("mkv: write fragment %s: block %d (time %d): track %d: %w",
				f.Name(), i, bl.Time, bl.Track, ErrUnknownTrack)
		}
		// Time - Timecode can overflow only when the signs differ and the
		// result's sign is not Time's; then it is far out of range anyway.
		rel := bl.Time - f.Timecode
		if (bl.Time < 0) != (f.Timecode < 0) && (rel < 0) != (bl.Time < 0) ||
			rel < math.MinInt16 || rel > math.MaxInt16 {
			return fail("block %d (track %d, time %d) is %d timecode units from the Cluster timecode %d, outside the 16-bit block offset",
				i, bl.Track, bl.Time, rel, f.Timecode)
		}
	}
	t := &f.Tags
	if t.FragmentNumber != "" && !kvs.ValidFragmentNumber(t.FragmentNumber) {
		return fail("fragment number %q is not 1 to %d decimal digits", t.FragmentNumber, kvs.MaxFragmentNumberLength)
	}
	if t.HasProducerTimestamp && (t.ProducerTimestamp < 0 || t.ProducerTimestamp > maxMillis) {
		return fail("producer timestamp %d ms out of range", t.ProducerTimestamp)
	}
	if t.HasServerTimestamp && (t.ServerTimestamp < 0 || t.ServerTimestamp > maxMillis) {
		return fail("server timestamp %d ms out of range", t.ServerTimestamp)
	}
	// Every tag element must fit its 4-byte size field; 32 bytes cover a
	// SimpleTag's element headers.
	total := len(t.ContinuationToken) + len(t.ErrorCode)
	for _, st := range t.Other {
		total += len(st.Name) + len(st.Value) + 32
	}
	if total > maxTagElementSize-1024 {
		return fail("tags of %d bytes do not fit a 4-byte size field", total)
	}
	return nil
}

// appendCluster appends f's Cluster. Its body size is computed first, so the
// frames are copied once, straight to their place.
func (w *Writer) appendCluster(b []byte, f *Fragment) []byte {
	refs := w.refTimes(f)
	body := uint64(1 + 1 + uintLen(uint64(f.Timecode)))
	for i := range f.Blocks {
		body += blockElementSize(&f.Blocks[i], refs[i])
	}
	b = appendID(b, idCluster)
	if w.opts.UnknownSizeClusters {
		b = append(b, 0xFF)
	} else {
		b = appendSize(b, body)
	}
	b = appendUint(b, idTimecode, uint64(f.Timecode))
	for i := range f.Blocks {
		b = appendBlockElement(b, &f.Blocks[i], f.Timecode, refs[i])
	}
	return b
}

// refTimes returns, for each block, the ReferenceBlock value it gets if it
// is written as a non-key BlockGroup: the offset to the previous block of its
// track, or -1 when there is none in the fragment (or it is too far away).
// Readers only need a ReferenceBlock to be present to see a non-key frame;
// pointing at the previous frame is what muxers write for P-frames.
func (w *Writer) refTimes(f *Fragment) []int64 {
	last := w.last[:0] // one entry per track: few, so a linear scan
	refs := w.refs[:0]
	for i := range f.Blocks {
		bl := &f.Blocks[i]
		ref := int64(-1)
		found := false
		for j := range last {
			if last[j].track == bl.Track {
				if d := last[j].time - bl.Time; d != 0 && d >= math.MinInt16 && d <= math.MaxInt16 {
					ref = d
				}
				last[j].time = bl.Time
				found = true
				break
			}
		}
		if !found {
			last = append(last, trackTime{bl.Track, bl.Time})
		}
		refs = append(refs, ref)
	}
	w.last, w.refs = last, refs
	return refs
}

// blockHeaderSize is the size of a (Simple)Block body without its frame:
// track number, 16-bit relative time, flags.
func blockHeaderSize(bl *Block) uint64 {
	return uint64(vintLen(bl.Track)) + 3
}

// blockGroupBodySize is the body size of the BlockGroup written for a block
// with a duration.
func blockGroupBodySize(bl *Block, ref int64) uint64 {
	inner := blockHeaderSize(bl) + uint64(len(bl.Data))
	body := 1 + uint64(sizeLen(inner)) + inner + 1 + 1 + uint64(uintLen(bl.Duration))
	if !bl.Keyframe {
		body += 1 + 1 + uint64(intLen(ref))
	}
	return body
}

// blockElementSize is the encoded size of the element appendBlockElement
// writes for bl.
func blockElementSize(bl *Block, ref int64) uint64 {
	if bl.HasDuration {
		body := blockGroupBodySize(bl, ref)
		return 1 + uint64(sizeLen(body)) + body
	}
	inner := blockHeaderSize(bl) + uint64(len(bl.Data))
	return 1 + uint64(sizeLen(inner)) + inner
}

// appendBlockElement appends bl as a SimpleBlock, or as a BlockGroup (Block,
// BlockDuration, ReferenceBlock unless key) when it has a duration: only a
// BlockGroup can carry one.
func appendBlockElement(b []byte, bl *Block, timecode, ref int64) []byte {
	inner := blockHeaderSize(bl) + uint64(len(bl.Data))
	rel := uint16(int16(bl.Time - timecode))
	if !bl.HasDuration {
		var flags byte
		if bl.Keyframe {
			flags |= 0x80
		}
		if bl.Invisible {
			flags |= 0x08
		}
		if bl.Discardable {
			flags |= 0x01
		}
		b = appendID(b, idSimpleBlock)
		b = appendSize(b, inner)
		b = appendVint(b, bl.Track)
		b = append(b, byte(rel>>8), byte(rel), flags)
		return append(b, bl.Data...)
	}
	var flags byte
	if bl.Invisible {
		flags |= 0x08
	}
	b = appendID(b, idBlockGroup)
	b = appendSize(b, blockGroupBodySize(bl, ref))
	b = appendID(b, idBlock)
	b = appendSize(b, inner)
	b = appendVint(b, bl.Track)
	b = append(b, byte(rel>>8), byte(rel), flags)
	b = append(b, bl.Data...)
	b = appendUint(b, idBlockDuration, bl.Duration)
	if !bl.Keyframe {
		b = appendInt(b, idReferenceBlock, ref)
	}
	return b
}

// The tag elements use 4-byte size fields like KVS's; maxTagElementSize is
// the largest body such a field can state (all ones would mean "unknown").
const maxTagElementSize = 1<<28 - 2

// appendEBMLHeader appends the EBML header of a Matroska document. DocType
// version 4 / read version 2 are what the real KVS files carry; SimpleBlock
// and BlockGroup need read version 2.
func appendEBMLHeader(b []byte) []byte {
	b, m := beginMaster(b, idEBML)
	b = appendUint(b, idEBMLVersion, 1)
	b = appendUint(b, idEBMLReadVersion, 1)
	b = appendUint(b, idEBMLMaxIDLength, 4)
	b = appendUint(b, idEBMLMaxSizeLength, 8)
	b = appendString(b, idDocType, "matroska")
	b = appendUint(b, idDocTypeVersion, 4)
	b = appendUint(b, idDocTypeReadVersion, 2)
	return endMaster(b, m)
}

// appendInfoTracks appends the Info and Tracks elements for h. Optional
// fields are written only when set, so that a Reader gives back the same
// Header.
func appendInfoTracks(b []byte, h *Header) []byte {
	b, m := beginMaster(b, idInfo)
	b = appendUint(b, idTimecodeScale, h.TimecodeScale)
	b = appendString(b, idMuxingApp, h.MuxingApp)
	b = appendString(b, idWritingApp, h.WritingApp)
	if h.Title != "" {
		b = appendString(b, idTitle, h.Title)
	}
	b = endMaster(b, m)

	b, m = beginMaster(b, idTracks)
	for i := range h.Tracks {
		t := &h.Tracks[i]
		var e int
		b, e = beginMaster(b, idTrackEntry)
		b = appendUint(b, idTrackNumber, t.Number)
		if t.UID != 0 {
			b = appendUint(b, idTrackUID, t.UID)
		}
		b = appendUint(b, idTrackType, uint64(t.Type))
		if t.Name != "" {
			b = appendString(b, idName, t.Name)
		}
		b = appendString(b, idCodecID, t.CodecID)
		if len(t.CodecPrivate) > 0 {
			b = appendBytes(b, idCodecPrivate, t.CodecPrivate)
		}
		if t.DefaultDuration != 0 {
			b = appendUint(b, idDefaultDuration, t.DefaultDuration)
		}
		if t.Type == TrackTypeVideo || t.PixelWidth != 0 || t.PixelHeight != 0 {
			var v int
			b, v = beginMaster(b, idVideo)
			// Both are mandatory in a Video element.
			b = appendUint(b, idPixelWidth, t.PixelWidth)
			b = appendUint(b, idPixelHeight, t.PixelHeight)
			b = endMaster(b, v)
		}
		if t.Type == TrackTypeAudio || t.SamplingFrequency != 0 || t.Channels != 0 || t.BitDepth != 0 {
			var a int
			b, a = beginMaster(b, idAudio)
			if t.SamplingFrequency != 0 {
				b = appendFloat(b, idSamplingFreq, t.SamplingFrequency)
			}
			if t.Channels != 0 {
				b = appendUint(b, idChannels, t.Channels)
			}
			if t.BitDepth != 0 {
				b = appendUint(b, idBitDepth, t.BitDepth)
			}
			b = endMaster(b, a)
		}
		b = endMaster(b, e)
	}
	return endMaster(b, m)
}

// beginTags opens a Tags element and its one Tag (no Targets, as KVS writes
// them) with 4-byte size fields to be filled in by endTags.
func beginTags(b *[]byte) (tags, tag int) {
	tags = len(*b)
	*b = append(*b, 0x12, 0x54, 0xC3, 0x67, 0x10, 0, 0, 0, 0x73, 0x73, 0x10, 0, 0, 0)
	return tags, tags + 8
}

// endTags sets the sizes of the Tags and Tag elements opened at the given
// offsets, now that their bodies end at len(b).
func endTags(b []byte, tags, tag int) {
	putSize4(b[tags+4:], len(b)-(tags+8))
	putSize4(b[tag+2:], len(b)-(tag+6))
}

// appendSimpleTag appends a SimpleTag with TagName and TagString, all with
// 4-byte size fields.
func appendSimpleTag(b []byte, name, value string) []byte {
	st := len(b)
	b = append(b, 0x67, 0xC8, 0x10, 0, 0, 0)
	b = appendString4(b, idTagName, name)
	b = appendString4(b, idTagString, value)
	putSize4(b[st+2:], len(b)-(st+6))
	return b
}

// appendMillisTag appends a timestamp tag: epoch seconds with exactly three
// decimals, the format KVS uses ("1511852108.513", "0.000"). The digits are
// appended in place, which keeps the path free of allocations.
func appendMillisTag(b []byte, name string, ms int64) []byte {
	st := len(b)
	b = append(b, 0x67, 0xC8, 0x10, 0, 0, 0)
	b = appendString4(b, idTagName, name)
	b = append(b, 0x44, 0x87, 0x10, 0, 0, 0)
	v := len(b)
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	putSize4(b[v-4:], len(b)-v)
	putSize4(b[st+2:], len(b)-(st+6))
	return b
}

// appendIntTag appends a tag whose value is a decimal integer.
func appendIntTag(b []byte, name string, n int64) []byte {
	st := len(b)
	b = append(b, 0x67, 0xC8, 0x10, 0, 0, 0)
	b = appendString4(b, idTagName, name)
	b = append(b, 0x44, 0x87, 0x10, 0, 0, 0)
	v := len(b)
	b = strconv.AppendInt(b, n, 10)
	putSize4(b[v-4:], len(b)-v)
	putSize4(b[st+2:], len(b)-(st+6))
	return b
}

// appendString4 appends a string element with a 4-byte size field.
func appendString4(b []byte, id uint32, s string) []byte {
	b = appendID(b, id)
	b = append(b, 0x10, byte(len(s)>>16), byte(len(s)>>8), byte(len(s)))
	return append(b, s...)
}

// putSize4 writes n as a 4-byte EBML size (marker 0x10 and 28 value bits).
func putSize4(b []byte, n int) {
	b[0] = 0x10 | byte(n>>24)
	b[1] = byte(n >> 16)
	b[2] = byte(n >> 8)
	b[3] = byte(n)
}

// beginMaster appends a master element's ID and an 8-byte size placeholder;
// endMaster then shrinks the size field to its minimal length. The bodies it
// is used for (header, Info, Tracks) are small, so moving them is cheap; the
// Cluster, which holds the frames, is sized in advance instead.
func beginMaster(b []byte, id uint32) ([]byte, int) {
	b = appendID(b, id)
	mark := len(b)
	return append(b, 0, 0, 0, 0, 0, 0, 0, 0), mark
}

func endMaster(b []byte, mark int) []byte {
	n := uint64(len(b) - mark - 8)
	l := sizeLen(n)
	copy(b[mark+l:], b[mark+8:])
	b = b[:mark+l+int(n)]
	putVint(b[mark:mark+l], n)
	return b
}

// appendID appends an element ID; IDs keep their length-marker bits, so the
// byte count follows from the value.
func appendID(b []byte, id uint32) []byte {
	switch {
	case id >= 1<<24:
		return append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<16:
		return append(b, byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<8:
		return append(b, byte(id>>8), byte(id))
	}
	return append(b, byte(id))
}

// sizeLen is the length of the shortest size field for n. A field of l
// bytes holds 7l value bits, and the value with all of them set is reserved
// for "unknown size", so l bytes hold at most 2^(7l)-2.
func sizeLen(n uint64) int {
	l := 1
	for l < 8 && n > 1<<(7*l)-2 {
		l++
	}
	return l
}

// vintLen is the length of the shortest varint for a block's track number;
// the same rule as for sizes.
func vintLen(n uint64) int { return sizeLen(n) }

// appendSize appends n as a minimal-length EBML size.
func appendSize(b []byte, n uint64) []byte {
	l := sizeLen(n)
	b = append(b, make([]byte, l)...)
	putVint(b[len(b)-l:], n)
	return b
}

// appendVint appends a track number as a varint.
func appendVint(b []byte, n uint64) []byte { return appendSize(b, n) }

// putVint writes n into all of dst as a varint of len(dst) bytes.
func putVint(dst []byte, n uint64) {
	l := len(dst)
	for i := l - 1; i >= 0; i-- {
		dst[i] = byte(n)
		n >>= 8
	}
	dst[0] |= 0x80 >> (l - 1)
}

// uintLen is the byte count of an unsigned integer element body: at least
// one byte, even for 0, which every reader accepts.
func uintLen(v uint64) int {
	l := 1
	for l < 8 && v >= 1<<(8*l) {
		l++
	}
	return l
}

// intLen is the byte count of a signed integer element body.
func intLen(v int64) int {
	l := 1
	for l < 8 && (v < -(1<<(8*l-1)) || v >= 1<<(8*l-1)) {
		l++
	}
	return l
}

func appendUint(b []byte, id uint32, v uint64) []byte {
	b = appendID(b, id)
	l := uintLen(v)
	b = append(b, byte(l|0x80))
	for i := l - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func appendInt(b []byte, id uint32, v int64) []byte {
	b = appendID(b, id)
	l := intLen(v)
	b = append(b, byte(l|0x80))
	for i := l - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// appendFloat appends an 8-byte float element: 8 bytes hold any float64
// exactly, so the value reads back unchanged.
func appendFloat(b []byte, id uint32, f float64) []byte {
	b = appendID(b, id)
	v := math.Float64bits(f)
	return append(b, 0x88, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendString(b []byte, id uint32, s string) []byte {
	b = appendID(b, id)
	b = appendSize(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, id uint32, p []byte) []byte {
	b = appendID(b, id)
	b = appendSize(b, uint64(len(p)))
	return append(b, p...)
}
