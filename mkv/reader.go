package mkv

import (
	"errors"
	"io"
)

// Reader reads KVS fragments from a Matroska stream.
//
// Next returns the fragments in input order until io.EOF. Errors are sticky:
// after one, Next returns it again.
type Reader struct {
	src *source
	err error

	frags [2]Fragment // alternate, so the previous fragment stays valid
	cur   int
	index int

	// Document state: reset by each EBML header.
	docs      int
	inSegment bool
	segEnd    int64 // input offset where a known-size Segment ends; -1 if unknown
	header    *Header
	info      []byte // Info and Tracks bodies of the current document,
	tracks    []byte // valid until its header is built
	infoOff   int64
	tracksOff int64
	cache     headerCache

	onStart func(offset, timecode int64) // OnFragmentStart
	endTag  bool                         // EndAtTag
	endSize bool                         // EndAtClusterSize
	oneDoc  bool                         // OneSegment
	segs    int                          // Segments begun
}

// NewReader returns a Reader that streams from r, one fragment at a time,
// into buffers it reuses. Its memory is bounded by about two fragments.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: newStreamSource(r), segEnd: -1}
}

// NewBytesReader returns a Reader over b. It copies nothing: block data are
// sub-slices of b, valid as long as b is.
func NewBytesReader(b []byte) *Reader {
	return &Reader{src: newBytesSource(b), segEnd: -1}
}

// OnFragmentStart makes Next call fn as soon as it has read the Cluster
// timecode of a fragment, with the fragment's input offset (its Offset, once
// returned) and that timecode (its Timecode), while the rest of the
// Cluster may still be on its way. A server taking a live stream uses it
// to acknowledge a fragment at its first bytes, as KVS's PutMedia does
// with its BUFFERING acks, rather than when the whole fragment is in.
//
// fn is called at most once per fragment, and not for a fragment whose
// Cluster has no timecode. In a Cluster of known size the timecode is read
// ahead of the rest when it is the Cluster's first child, as muxers write
// it; otherwise fn is called when the parse reaches it. Next may still
// fail after fn for the same fragment. nil stops the calls.
func (r *Reader) OnFragmentStart(fn func(offset, timecode int64)) {
	r.onStart = fn
}

// OneSegment makes a second EBML header or Segment in the input an error
// (ErrMalformed) instead of the start of another document. KVS's PutMedia
// takes one Segment a body, as a producer sends it; GetMedia output, a
// series of documents, needs the default.
func (r *Reader) OneSegment(on bool) {
	r.oneDoc = on
}

// EndAtTag makes Next return a fragment as soon as a Tags element
// carrying AWS_KINESISVIDEO_END_OF_FRAGMENT has followed its Cluster,
// without reading on to the element after it.
//
// A live producer closes each fragment with that tag: before the next key
// frame, when it stops, and when its frames pause. It may then send nothing
// for seconds, or keep the connection open until the fragment is
// acknowledged, so a server that waited for the next Cluster to end the
// fragment would hold it back, or deadlock with the producer. Without
// EndAtTag (the default) Tags after the end tag still belong to the
// fragment, as in GetMedia documents, whose last Tags element follows it;
// with it they go to the next fragment.
func (r *Reader) EndAtTag(on bool) {
	r.endTag = on
}

// EndAtClusterSize makes Next return a fragment whose Cluster has a known
// size at the Cluster's last byte, without reading on to the element
// after it; what follows (Tags, Cues) is read with the next fragment.
//
// Producers such as ffmpeg and GStreamer's matroskamux write Clusters
// with their size and close fragments with no end-of-fragment tag: a
// server that waited for the next element to end the fragment would
// acknowledge it a fragment late. Clusters of unknown size still end at
// the next element that cannot be their child (and with EndAtTag at the
// end tag after them). Without EndAtClusterSize (the default) the Tags
// after a Cluster belong to its fragment, as in GetMedia documents.
func (r *Reader) EndAtClusterSize(on bool) {
	r.endSize = on
}

// Next returns the next fragment, or io.EOF after the last one. The fragment
// and its blocks stay valid until the second following call to Next.
func (r *Reader) Next() (*Fragment, error) {
	if r.err != nil {
		return nil, r.err
	}
	f, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return f, nil
}

// fragment-building state for one call of next.
type building struct {
	f          *Fragment
	start      int64
	hasCluster bool
	// ended is set by a Tags element that closes the fragment (EndAtTag).
	ended bool
}

func (b *building) hasContent() bool {
	return b.hasCluster || b.f.Tags.FragmentNumber != ""
}

// maxElementHeader is the longest element header: a 4-byte ID and an 8-byte size.
const maxElementHeader = 12

func (r *Reader) next() (*Fragment, error) {
	r.cur ^= 1
	f := &r.frags[r.cur]
	*f = Fragment{Blocks: f.Blocks[:0], Tags: Tags{Other: f.Tags.Other[:0]}}
	r.src.startFragment()
	b := &building{f: f, start: r.src.offset()}
	for {
		if r.inSegment && r.segEnd >= 0 && r.src.offset() >= r.segEnd {
			if r.src.offset() > r.segEnd {
				return nil, newError(r.segEnd, "Segment", ErrMalformed, "child element overruns the Segment")
			}
			r.inSegment = false
		}
		el, err := r.peekElement()
		if err == io.EOF {
			return r.finish(b, false)
		}
		if err != nil {
			if b.hasCluster && isEOF(err) {
				// The input ends inside an element header. After an
				// unknown-size Cluster that ended whole, those are the
				// first bytes of the next element, and this fragment is
				// complete; the cut is reported by the next call.
				if !b.f.Truncated && r.tailEndsCluster() {
					return r.finish(b, false)
				}
				return r.finish(b, true)
			}
			if r.docs == 0 && isEOF(err) {
				return nil, newError(0, "EBML", ErrNotMatroska, "input too short for an EBML header")
			}
			return nil, r.wrapEOF(err, "element header")
		}
		done, err := r.element(b, el)
		if err != nil {
			return nil, err
		}
		if done || b.ended {
			return r.finish(b, false)
		}
		if b.f.Truncated {
			return r.finish(b, true)
		}
	}
}

// element handles one element at the top level or in a Segment. done tells
// that el begins the next fragment and was left unread.
func (r *Reader) element(b *building, el element) (done bool, err error) {
	if r.docs == 0 && el.id != idEBML {
		return false, newError(el.off, elementName(el.id), ErrNotMatroska, "no EBML header at the start")
	}
	if el.size == unknownSize && el.id != idSegment && el.id != idCluster {
		return false, newError(el.off, elementName(el.id), ErrMalformed, "unknown size is only allowed for Segment and Cluster")
	}
	if r.inSegment && r.segEnd >= 0 && el.overruns(r.segEnd) {
		return false, newError(el.off, elementName(el.id), ErrMalformed, "overruns its Segment")
	}
	switch el.id {
	case idEBML:
		if b.hasContent() {
			return true, nil
		}
		return false, r.ebmlHeader(b, el)
	case idSegment:
		if r.inSegment {
			return false, newError(el.off, "Segment", ErrMalformed, "Segment inside a Segment")
		}
		if r.oneDoc && r.segs > 0 {
			return false, newError(el.off, "Segment", ErrMalformed, "a second Segment in the input")
		}
		r.segs++
		r.src.skip(el.hdr)
		r.inSegment = true
		r.segEnd = -1
		if el.size != unknownSize {
			r.segEnd = el.off + int64(el.hdr) + int64(min(el.size, 1<<62))
		}
		return false, nil
	}
	if !r.inSegment {
		if el.id == idVoid || el.id == idCRC32 {
			_, err := r.body(el, MaxHeaderElementSize)
			return false, err
		}
		return false, newError(el.off, elementName(el.id), ErrMalformed, "element outside a Segment")
	}
	switch el.id {
	case idInfo, idTracks:
		if b.hasCluster {
			// A new header after a Cluster: the next fragment's.
			return true, nil
		}
		body, err := r.body(el, MaxHeaderElementSize)
		if err != nil {
			return false, err
		}
		if el.id == idInfo {
			r.info, r.infoOff = body, el.off
		} else {
			r.tracks, r.tracksOff = body, el.off
		}
		r.header = nil
		return false, nil
	case idTags:
		start := r.src.pos
		body, err := r.body(el, MaxHeaderElementSize)
		if err != nil {
			return false, err
		}
		var t Tags
		if err := parseTags(&t, body, el.off+int64(el.hdr)); err != nil {
			return false, err
		}
		if b.hasCluster && t.startsFragment() {
			r.src.pos = start
			return true, nil
		}
		b.f.Tags.merge(&t)
		b.ended = r.endTag && b.hasCluster && t.EndOfFragment
		return false, nil
	case idCluster:
		if b.hasCluster {
			return true, nil
		}
		if err := r.buildHeader(el.off); err != nil {
			return false, err
		}
		b.hasCluster = true
		if err := r.cluster(b.f, el, b.start); err != nil {
			return false, err
		}
		b.ended = r.endSize && el.size != unknownSize && !b.f.Truncated
		return false, nil
	}
	// SeekHead, Cues, Chapters, Attachments, Void, CRC-32 and elements
	// unknown to us: skipped whole.
	_, err = r.body(el, MaxFragmentSize)
	if err != nil && b.hasCluster && isEOF(err) {
		b.f.Truncated = true
		return false, nil
	}
	return false, err
}

// finish completes the fragment under construction.
func (r *Reader) finish(b *building, truncated bool) (*Fragment, error) {
	f := b.f
	if !b.hasContent() {
		return nil, io.EOF
	}
	if f.Header == nil {
		if err := r.buildHeader(b.start); err != nil && !errors.Is(err, ErrNoTracks) {
			return nil, err
		}
		f.Header = r.header
	}
	f.Truncated = f.Truncated || truncated
	if f.Truncated {
		// Whatever follows the cut is not a whole element: the input
		// is over.
		r.err = io.EOF
	}
	f.Index = r.index
	r.index++
	f.Offset = b.start
	f.Size = r.src.offset() - b.start
	if truncated {
		f.Size = r.src.base + int64(r.src.end) - b.start
	}
	return f, nil
}

// ebmlHeader reads and checks an EBML header and starts a new document.
func (r *Reader) ebmlHeader(b *building, el element) error {
	if r.oneDoc && r.docs > 0 {
		return newError(el.off, "EBML", ErrMalformed, "a second EBML document in the input")
	}
	body, err := r.body(el, MaxHeaderElementSize)
	if err != nil {
		if r.docs == 0 && errors.Is(err, ErrUnexpectedEOF) {
			return newError(el.off, "EBML", ErrNotMatroska, "truncated EBML header")
		}
		return err
	}
	docType := ""
	err = children(body, el.off+int64(el.hdr), "EBML", func(id uint32, data []byte, off int64) error {
		switch id {
		case idDocType:
			docType = readString(data)
		case idEBMLMaxIDLength:
			if v, ok := readUint(data); !ok || v > 4 {
				return newError(off, "EBMLMaxIDLength", ErrUnsupported, "IDs longer than 4 bytes")
			}
		case idEBMLMaxSizeLength:
			if v, ok := readUint(data); !ok || v > 8 {
				return newError(off, "EBMLMaxSizeLength", ErrUnsupported, "sizes longer than 8 bytes")
			}
		}
		return nil
	})
	if err != nil {
		if r.docs == 0 {
			return newError(el.off, "EBML", ErrNotMatroska, "%v", err)
		}
		return err
	}
	if docType != "matroska" && docType != "webm" {
		return newError(el.off, "EBML", ErrNotMatroska, "DocType %q", docType)
	}
	r.docs++
	r.inSegment = false
	r.header, r.info, r.tracks = nil, nil, nil
	// Tags of a document that had neither cluster nor fragment number do
	// not belong to the next one.
	b.f.Tags = Tags{Other: b.f.Tags.Other[:0]}
	b.start = el.off
	return nil
}

// buildHeader makes r.header from the current document's Info and Tracks.
func (r *Reader) buildHeader(off int64) error {
	if r.header != nil {
		return nil
	}
	if r.tracks == nil {
		return newError(off, "Cluster", ErrNoTracks, "no Tracks element before it")
	}
	h, err := r.cache.build(r.info, r.tracks, r.infoOff, r.tracksOff)
	if err != nil {
		return err
	}
	r.header = h
	return nil
}

// peekElement reads the header of the element at the current position
// without consuming it. It returns io.EOF at a clean end of input.
func (r *Reader) peekElement() (element, error) {
	return r.peek(maxElementHeader)
}

// peekElementWithin is peekElement for an element that must lie before
// the input offset end, all of which has been filled: it reads no input.
// A header that does not fit is malformed, since it would overrun.
func (r *Reader) peekElementWithin(end int64) (element, error) {
	off := r.src.offset()
	el, err := r.peek(int(min(end-off, maxElementHeader)))
	if err == io.ErrUnexpectedEOF {
		return element{}, newError(off, "element", ErrMalformed, "header overruns its Cluster")
	}
	return el, err
}

// peek reads the header of the element at the current position, with n
// bytes of input at most, without consuming it.
func (r *Reader) peek(n int) (element, error) {
	off := r.src.offset()
	switch err := r.src.fill(n); err {
	case nil, io.ErrUnexpectedEOF:
		// A short tail may still hold a whole small element.
	case io.EOF:
		return element{}, io.EOF
	case errLimit:
		return element{}, newError(off, "fragment", ErrTooLarge, "larger than %d bytes", MaxFragmentSize)
	default:
		return element{}, err
	}
	buf := r.src.avail()[:min(n, len(r.src.avail()))]
	id, n := readID(buf)
	if n < 0 {
		return element{}, newError(off, "element", ErrMalformed, "invalid element ID byte 0x%02X", buf[0])
	}
	if n == 0 {
		return element{}, io.ErrUnexpectedEOF
	}
	size, m := readSize(buf[n:])
	if m < 0 {
		return element{}, newError(off, elementName(id), ErrMalformed, "invalid size field")
	}
	if m == 0 {
		return element{}, io.ErrUnexpectedEOF
	}
	return element{id: id, off: off, hdr: n + m, size: size}, nil
}

// body consumes el and returns its body. limit bounds the size.
func (r *Reader) body(el element, limit int) ([]byte, error) {
	if el.size > uint64(limit) {
		return nil, newError(el.off, elementName(el.id), ErrTooLarge, "%d bytes, limit %d", el.size, limit)
	}
	n := el.hdr + int(el.size)
	if err := r.src.fill(n); err != nil {
		return nil, r.fillError(err, el)
	}
	body := r.src.buf[r.src.pos+el.hdr : r.src.pos+n : r.src.pos+n]
	r.src.skip(n)
	return body, nil
}

func (r *Reader) fillError(err error, el element) error {
	switch {
	case err == errLimit:
		return newError(el.off, elementName(el.id), ErrTooLarge, "fragment larger than %d bytes", MaxFragmentSize)
	case isEOF(err):
		return newError(el.off, elementName(el.id), ErrUnexpectedEOF, "input ends inside it")
	}
	return err
}

func (r *Reader) wrapEOF(err error, what string) error {
	if isEOF(err) {
		return newError(r.src.offset(), what, ErrUnexpectedEOF, "input ends inside it")
	}
	return err
}

func isEOF(err error) bool {
	return err == io.EOF || err == io.ErrUnexpectedEOF || errors.Is(err, ErrUnexpectedEOF)
}
