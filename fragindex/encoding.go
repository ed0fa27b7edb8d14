package fragindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/kvsclip/kvsclip/mkv"
)

// The encoding of an Index, version 1. Integers are varints as
// encoding/binary writes them, at their shortest: "uv" unsigned, "sv"
// zig-zag signed; "str" is a uv length and that many bytes.
//
//	magic            4   "KVSX"
//	version          1   1
//	DocSize          uv
//	TimecodeScale    uv
//	MuxingApp, WritingApp, Title   str
//	track count      uv, then per track:
//	  Number, UID    uv
//	  Type           1
//	  Name, CodecID, CodecPrivate  str
//	  DefaultDuration, PixelWidth, PixelHeight  uv
//	  SamplingFrequency  8  IEEE 754 bits, big-endian
//	  Channels, BitDepth uv
//	Timecode         sv
//	fragment flags   1   Has{Producer,Server}Timestamp, HasMillisBehindNow,
//	                     EndOfFragment, Truncated: bits 0..4
//	FragmentNumber   str
//	ProducerTimestamp, ServerTimestamp, MillisBehindNow  sv
//	ContinuationToken, ErrorCode  str
//	ErrorID          sv
//	other tag count  uv, then per tag: Name, Value str
//	sample count     uv, then per sample:
//	  head           1   Flags in bits 0..4; bit 5: a Lace byte follows;
//	                     bits 6..7: the track as its position among the
//	                     first three tracks of the header, 3 if it is not
//	                     one of them and its number follows
//	  track number   uv  only when head bits 6..7 are 3
//	  offset         sv  Offset minus the previous sample's end (0 first)
//	  size           uv
//	  time           sv  Time minus the previous sample's Time (Timecode first)
//	  Duration       uv  only when Flags has HasDuration
//	  Lace           1   only when head bit 5 is set
//	checksum         4   CRC-32C (Castagnoli) of all the above, big-endian
//
// Samples follow each other in the document, so their offsets are a byte or
// two; times are deltas of a frame; a fragment has one to three tracks. The
// encoding is canonical — every varint at its shortest, a track by position
// whenever it can be — so an Index has exactly one encoding, and Unmarshal
// refuses any other: whatever decodes re-encodes to the same bytes.

// magic opens every encoded Index.
const magic = "KVSX"

// version is the encoding version Marshal writes and the one Unmarshal reads.
const version = 1

// Limits of the encoding. Each bounds what a hostile encoding can make
// Unmarshal allocate or do; each is what a document the mkv Reader accepts
// can need.
const (
	// MaxEncodedSize bounds one encoding, for readers of stored indexes:
	// the Info, Tracks and Tags a header and tags come from are each at
	// most mkv.MaxHeaderElementSize and encode shorter than they are
	// written (plus a few bytes per field Matroska leaves out), and a
	// fragment has at most mkv.MaxFramesPerFragment samples of at most
	// maxSampleSize bytes.
	MaxEncodedSize = 3*mkv.MaxHeaderElementSize + mkv.MaxFramesPerFragment*maxSampleSize + 64<<10

	// maxSampleSize is the longest encoding of a sample: head, four
	// 10-byte varints, a 5-byte size and a lace byte.
	maxSampleSize = 1 + 4*binary.MaxVarintLen64 + 5 + 1
	// minSampleSize is the shortest: head, offset, size and time of a
	// byte each. A sample count beyond what the remaining bytes can hold
	// is refused before the samples are allocated, so Unmarshal allocates
	// at most about unsafe.Sizeof(Sample{})/minSampleSize times the input
	// for samples, and never more than mkv.MaxFramesPerFragment of them.
	minSampleSize = 4
	// minTrackSize is the shortest encoding of a track (twelve fields of
	// a byte and the 8-byte frequency), and minTagSize that of an other
	// tag: the counts are checked against the bytes left as samples are.
	minTrackSize = 19
	minTagSize   = 2
	// byPosition is how many of the header's first tracks a sample head
	// can name by position (head bits 6..7; 3 means "number follows").
	byPosition = 3
)

// Errors of the encoding. Unmarshal's errors wrap ErrCorrupt; test with
// errors.Is.
var (
	// ErrCorrupt: the bytes are not an encoded Index (wrong magic,
	// checksum mismatch, cut short, beyond a limit, not canonical).
	ErrCorrupt = errors.New("fragindex: corrupt encoding")
	// ErrVersion: an encoding of a version this code does not read, such
	// as one a newer server wrote. It comes wrapped with ErrCorrupt: to
	// this code the bytes are unusable either way.
	ErrVersion = errors.New("fragindex: unknown encoding version")
	// ErrInvalid: Marshal of an Index that has no encoding — no Header,
	// more tracks, tags or samples than the limits, a sample outside the
	// document, flags this version does not know.
	ErrInvalid = errors.New("fragindex: index cannot be encoded")
)

// Fragment flags of the encoding.
const (
	fHasProducer = 1 << iota
	fHasServer
	fHasMillisBehind
	fEndOfFragment
	fTruncated
	fragmentFlags = 1<<iota - 1
)

// Sample head bits of the encoding, besides the Flags.
const (
	knownFlags = Keyframe | Invisible | Discardable | HasDuration | LengthPrefixed
	headLace   = 1 << 5
	headTrack  = 6 // shift of the track position
)

func castagnoli() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) } // cached by hash/crc32

// MarshalSize returns the length of the Index's encoding.
func (x *Index) MarshalSize() int {
	e := encoder{count: true}
	x.encode(&e)
	return e.n
}

// Marshal returns the Index's encoding.
func (x *Index) Marshal() ([]byte, error) {
	b := make([]byte, x.MarshalSize())
	n, err := x.MarshalTo(b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

// MarshalTo writes the Index's encoding into b and returns its length;
// io.ErrShortBuffer when b is shorter than MarshalSize.
func (x *Index) MarshalTo(b []byte) (int, error) {
	if err := x.check(); err != nil {
		return 0, err
	}
	n := x.MarshalSize()
	if n > MaxEncodedSize {
		return 0, fmt.Errorf("%w: %d bytes encoded, limit %d", ErrInvalid, n, MaxEncodedSize)
	}
	if len(b) < n {
		return 0, io.ErrShortBuffer
	}
	e := encoder{b: b[:0]}
	x.encode(&e)
	binary.BigEndian.PutUint32(b[n-4:], crc32.Checksum(b[:n-4], castagnoli()))
	return n, nil
}

// check refuses what Unmarshal would refuse, so that every encoding
// Marshal writes decodes.
func (x *Index) check() error {
	switch {
	case x.Header == nil:
		return fmt.Errorf("%w: no header", ErrInvalid)
	case x.DocSize < 0 || x.DocSize > mkv.MaxFragmentSize:
		return fmt.Errorf("%w: document size %d", ErrInvalid, x.DocSize)
	case len(x.Header.Tracks) > mkv.MaxTracks:
		return fmt.Errorf("%w: %d tracks", ErrInvalid, len(x.Header.Tracks))
	case len(x.Tags.Other) > mkv.MaxSimpleTags:
		return fmt.Errorf("%w: %d tags", ErrInvalid, len(x.Tags.Other))
	case len(x.Samples) > mkv.MaxFramesPerFragment:
		return fmt.Errorf("%w: %d samples", ErrInvalid, len(x.Samples))
	}
	if err := distinctTracks(x.Header.Tracks); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	for i, s := range x.Samples {
		if err := s.check(x.DocSize); err != nil {
			return fmt.Errorf("%w: sample %d: %w", ErrInvalid, i, err)
		}
	}
	return nil
}

// errSample is the cause of check's and Unmarshal's refusal of a sample.
var errSample = errors.New("outside the document or with unknown flags")

func (s *Sample) check(docSize int64) error {
	if s.Offset < 0 || s.Offset > docSize-int64(s.Size) || s.Flags&^knownFlags != 0 ||
		(s.Duration != 0 && s.Flags&HasDuration == 0) {
		return errSample
	}
	return nil
}

// distinctTracks refuses a header with two tracks of one number: a sample
// could not say which it belongs to.
func distinctTracks(tracks []mkv.Track) error {
	for i := range tracks {
		for j := range i {
			if tracks[i].Number == tracks[j].Number {
				return fmt.Errorf("track number %d twice", tracks[i].Number)
			}
		}
	}
	return nil
}

// trackPosition is how a sample head names track n: its position among
// the header's first tracks, or byPosition.
func trackPosition(tracks []mkv.Track, n uint64) int {
	for i := range min(len(tracks), byPosition) {
		if tracks[i].Number == n {
			return i
		}
	}
	return byPosition
}

// encode writes or measures the encoding, checksum included.
func (x *Index) encode(e *encoder) {
	e.bytes([]byte(magic))
	e.byte(version)
	e.uv(uint64(x.DocSize))
	h := x.Header
	if h == nil { // MarshalTo refuses it; MarshalSize measures an empty one
		h = &mkv.Header{}
	}
	e.uv(h.TimecodeScale)
	e.str(h.MuxingApp)
	e.str(h.WritingApp)
	e.str(h.Title)
	e.uv(uint64(len(h.Tracks)))
	for i := range h.Tracks {
		t := &h.Tracks[i]
		e.uv(t.Number)
		e.uv(t.UID)
		e.byte(byte(t.Type))
		e.str(t.Name)
		e.str(t.CodecID)
		e.uv(uint64(len(t.CodecPrivate)))
		e.bytes(t.CodecPrivate)
		e.uv(t.DefaultDuration)
		e.uv(t.PixelWidth)
		e.uv(t.PixelHeight)
		e.u64(math.Float64bits(t.SamplingFrequency))
		e.uv(t.Channels)
		e.uv(t.BitDepth)
	}
	e.sv(x.Timecode)
	tg := &x.Tags
	var ff byte
	for bit, set := range []bool{tg.HasProducerTimestamp, tg.HasServerTimestamp, tg.HasMillisBehindNow, tg.EndOfFragment, x.Truncated} {
		if set {
			ff |= 1 << bit
		}
	}
	e.byte(ff)
	e.str(tg.FragmentNumber)
	e.sv(tg.ProducerTimestamp)
	e.sv(tg.ServerTimestamp)
	e.sv(tg.MillisBehindNow)
	e.str(tg.ContinuationToken)
	e.str(tg.ErrorCode)
	e.sv(tg.ErrorID)
	e.uv(uint64(len(tg.Other)))
	for _, o := range tg.Other {
		e.str(o.Name)
		e.str(o.Value)
	}
	e.uv(uint64(len(x.Samples)))
	end, t := int64(0), x.Timecode
	for i := range x.Samples {
		s := &x.Samples[i]
		pos := trackPosition(h.Tracks, s.Track)
		head := byte(s.Flags) | byte(pos)<<headTrack
		if s.Lace != 0 {
			head |= headLace
		}
		e.byte(head)
		if pos == byPosition {
			e.uv(s.Track)
		}
		e.sv(s.Offset - end)
		e.uv(uint64(s.Size))
		e.sv(s.Time - t)
		if s.Flags&HasDuration != 0 {
			e.uv(s.Duration)
		}
		if s.Lace != 0 {
			e.byte(s.Lace)
		}
		end, t = s.Offset+int64(s.Size), s.Time
	}
	e.u32(0) // the checksum, written by MarshalTo
}

// encoder appends to b, or only counts the bytes when count is set: one
// walk of the Index serves MarshalSize and MarshalTo alike.
type encoder struct {
	b     []byte
	n     int
	count bool
}

func (e *encoder) byte(v byte) {
	e.n++
	if !e.count {
		e.b = append(e.b, v)
	}
}

func (e *encoder) bytes(v []byte) {
	e.n += len(v)
	if !e.count {
		e.b = append(e.b, v...)
	}
}

func (e *encoder) str(v string) {
	e.uv(uint64(len(v)))
	e.n += len(v)
	if !e.count {
		e.b = append(e.b, v...)
	}
}

func (e *encoder) uv(v uint64) {
	if e.count {
		e.n += uvarintLen(v)
		return
	}
	n := len(e.b)
	e.b = binary.AppendUvarint(e.b, v)
	e.n += len(e.b) - n
}

func (e *encoder) sv(v int64) { e.uv(uint64(v<<1) ^ uint64(v>>63)) }

func (e *encoder) u32(v uint32) {
	e.n += 4
	if !e.count {
		e.b = binary.BigEndian.AppendUint32(e.b, v)
	}
}

func (e *encoder) u64(v uint64) {
	e.n += 8
	if !e.count {
		e.b = binary.BigEndian.AppendUint64(e.b, v)
	}
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// Unmarshal decodes an encoded Index. It never panics, and allocates at
// most MaxUnmarshalAlloc(len(b)) bytes: the Index, copies of its strings
// and CodecPrivate (at most len(b) bytes), and its tracks, tags and
// samples, whose counts are bounded by the limits above and by the bytes
// that would hold them. Errors wrap ErrCorrupt.
func Unmarshal(b []byte) (*Index, error) {
	if len(b) > MaxEncodedSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrCorrupt, len(b), MaxEncodedSize)
	}
	if len(b) < len(magic)+1+4 || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: not an index", ErrCorrupt)
	}
	if v := b[len(magic)]; v != version {
		return nil, fmt.Errorf("%w: %w %d", ErrCorrupt, ErrVersion, v)
	}
	body := b[:len(b)-4]
	if got, want := crc32.Checksum(body, castagnoli()), binary.BigEndian.Uint32(b[len(body):]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	d := decoder{b: body[len(magic)+1:]}
	x := d.index()
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the samples", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return x, nil
}

// MaxUnmarshalAlloc is the most Unmarshal allocates for an input of n
// bytes: a Sample (48 bytes) per minSampleSize input bytes, a Track (about
// 150) per minTrackSize and the strings' copies all stay under 16 bytes per
// input byte; the SimpleTags, 32 bytes per 2 input bytes but at most
// mkv.MaxSimpleTags of them, and the Index and Header, fit in 16 KiB.
func MaxUnmarshalAlloc(n int) int { return 16<<10 + 16*n }

// Unmarshal decodes b into x, replacing all of x; see the function
// Unmarshal.
func (x *Index) Unmarshal(b []byte) error {
	y, err := Unmarshal(b)
	if err != nil {
		return err
	}
	*x = *y
	return nil
}

func (d *decoder) index() *Index {
	x := &Index{DocSize: d.int(mkv.MaxFragmentSize, "document size")}
	h := &mkv.Header{TimecodeScale: d.uv()}
	h.MuxingApp, h.WritingApp, h.Title = d.str(), d.str(), d.str()
	if n := d.count(mkv.MaxTracks, minTrackSize, "tracks"); n > 0 {
		h.Tracks = make([]mkv.Track, n)
		for i := range h.Tracks {
			t := &h.Tracks[i]
			t.Number, t.UID, t.Type = d.uv(), d.uv(), mkv.TrackType(d.byte())
			t.Name, t.CodecID, t.CodecPrivate = d.str(), d.str(), d.bytes()
			t.DefaultDuration, t.PixelWidth, t.PixelHeight = d.uv(), d.uv(), d.uv()
			t.SamplingFrequency = math.Float64frombits(d.u64())
			t.Channels, t.BitDepth = d.uv(), d.uv()
		}
		if err := distinctTracks(h.Tracks); err != nil {
			d.fail("%v", err)
		}
	}
	x.Header = h
	x.Timecode = d.sv()
	ff := d.byte()
	if ff&^fragmentFlags != 0 {
		d.fail("fragment flags %#x", ff)
	}
	tg := &x.Tags
	tg.HasProducerTimestamp, tg.HasServerTimestamp, tg.HasMillisBehindNow = ff&fHasProducer != 0, ff&fHasServer != 0, ff&fHasMillisBehind != 0
	tg.EndOfFragment, x.Truncated = ff&fEndOfFragment != 0, ff&fTruncated != 0
	tg.FragmentNumber = d.str()
	tg.ProducerTimestamp, tg.ServerTimestamp, tg.MillisBehindNow = d.sv(), d.sv(), d.sv()
	tg.ContinuationToken, tg.ErrorCode = d.str(), d.str()
	tg.ErrorID = d.sv()
	if n := d.count(mkv.MaxSimpleTags, minTagSize, "tags"); n > 0 {
		tg.Other = make([]mkv.SimpleTag, n)
		for i := range tg.Other {
			tg.Other[i] = mkv.SimpleTag{Name: d.str(), Value: d.str()}
		}
	}
	if n := d.count(mkv.MaxFramesPerFragment, minSampleSize, "samples"); n > 0 {
		x.Samples = make([]Sample, n)
		d.samples(x)
	}
	return x
}

// samples decodes x.Samples, whose length is the count already read.
func (d *decoder) samples(x *Index) {
	tracks := x.Header.Tracks
	end, t := int64(0), x.Timecode
	for i := range x.Samples {
		if d.err != nil {
			return
		}
		s := &x.Samples[i]
		head := d.byte()
		s.Flags = Flags(head) & knownFlags
		pos := int(head >> headTrack)
		switch {
		case pos < byPosition && pos >= len(tracks):
			d.fail("sample %d: track position %d of %d tracks", i, pos, len(tracks))
		case pos < byPosition:
			s.Track = tracks[pos].Number
		default:
			s.Track = d.uv()
			if trackPosition(tracks, s.Track) != byPosition {
				d.fail("sample %d: track %d by number", i, s.Track)
			}
		}
		s.Offset = end + d.sv()
		size := d.uv()
		if size > math.MaxUint32 {
			d.fail("sample %d: size %d", i, size)
		}
		s.Size = uint32(size)
		s.Time = t + d.sv()
		if s.Flags&HasDuration != 0 {
			s.Duration = d.uv()
		}
		if head&headLace != 0 {
			if s.Lace = d.byte(); s.Lace == 0 && d.err == nil {
				d.fail("sample %d: lace 0 written", i)
			}
		}
		if d.err == nil && s.check(x.DocSize) != nil {
			d.fail("sample %d: %d bytes at %d of %d: %v", i, s.Size, s.Offset, x.DocSize, errSample)
		}
		end, t = s.Offset+int64(s.Size), s.Time
	}
}

// decoder reads the encoding from b with a sticky error: after the first
// failure every read returns zero values, and err says what went wrong.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail("cut short")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// uv reads a varint and refuses any but its shortest form.
func (d *decoder) uv() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	switch {
	case n == 0:
		d.fail("cut short")
		return 0
	case n < 0:
		d.fail("varint overflow")
		return 0
	case n > 1 && d.b[n-1] == 0:
		d.fail("varint not at its shortest")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) sv() int64 {
	u := d.uv()
	return int64(u>>1) ^ -int64(u&1)
}

// int reads a uv that must be at most limit.
func (d *decoder) int(limit int64, what string) int64 {
	v := d.uv()
	if v > uint64(limit) {
		d.fail("%s %d, limit %d", what, v, limit)
		return 0
	}
	return int64(v)
}

// count reads a count of items of at least minSize bytes each: at most
// limit, and at most what the bytes left can hold.
func (d *decoder) count(limit, minSize int, what string) int {
	n := d.int(int64(limit), what)
	if n > int64(len(d.b)/minSize) {
		d.fail("%d %s in %d bytes", n, what, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) raw() []byte { return d.take(int(d.int(int64(len(d.b)), "length"))) }

func (d *decoder) str() string { return string(d.raw()) }

// bytes is raw copied, and nil when empty, as the mkv Reader gives an
// absent CodecPrivate.
func (d *decoder) bytes() []byte {
	if v := d.raw(); len(v) > 0 {
		return append([]byte(nil), v...)
	}
	return nil
}

// DocSize returns the DocSize an encoded Index declares, reading only its
// head: a store can tell whether an index belongs to a document of a
// known size before it decodes or checks the rest. Unmarshal still
// decides whether the encoding is sound.
func DocSize(b []byte) (int64, error) {
	if len(b) < len(magic)+1+4 || string(b[:len(magic)]) != magic || b[len(magic)] != version {
		return 0, fmt.Errorf("%w: not an index of version %d", ErrCorrupt, version)
	}
	n, k := binary.Uvarint(b[len(magic)+1:])
	if k <= 0 || n > mkv.MaxFragmentSize {
		return 0, fmt.Errorf("%w: document size", ErrCorrupt)
	}
	return int64(n), nil
}
