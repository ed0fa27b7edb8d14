package mkv

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/bits"
)

// isClusterChild reports whether id may appear inside a Cluster. An
// unknown-size Cluster ends at the first element that may not.
func isClusterChild(id uint32) bool {
	switch id {
	case idTimecode, idSimpleBlock, idBlockGroup, idPosition, idPrevSize,
		idSilentTracks, idEncryptedBlock, idVoid, idCRC32:
		return true
	}
	return false
}

// tailEndsCluster reports whether the input left, too short for an
// element header, begins an element that is not a Cluster's child: then a
// Cluster of unknown size before it ended. The children's IDs are one or
// two bytes long; a cut ID's length shows in its first byte.
func (r *Reader) tailEndsCluster() bool {
	buf := r.src.avail()
	if len(buf) == 0 {
		return false
	}
	if id, n := readID(buf); n > 0 {
		return !isClusterChild(id)
	}
	return bits.LeadingZeros8(buf[0]) >= 2 // a 3- or 4-byte ID
}

// parseBlock reads a SimpleBlock or Block body (track, relative time, flags,
// lacing) and appends one Block per frame to f.Blocks, with Time holding the
// relative timecode until the Cluster's Timecode is known. Frame data are
// sub-slices of body.
func (r *Reader) parseBlock(f *Fragment, body []byte, off int64, simple bool) error {
	name := "Block"
	if simple {
		name = "SimpleBlock"
	}
	track, n, _ := readVint(body)
	if n <= 0 || len(body) < n+3 {
		return newError(off, name, ErrMalformed, "short block header")
	}
	if r.header.Track(track) == nil {
		return newError(off, name, ErrUnknownTrack, "track %d", track)
	}
	rel := int16(binary.BigEndian.Uint16(body[n:]))
	flags := body[n+2]
	data := body[n+3:]
	dataOff := off + int64(n+3)
	b := Block{
		Track:       track,
		Time:        int64(rel),
		Keyframe:    simple && flags&0x80 != 0,
		Invisible:   flags&0x08 != 0,
		Discardable: simple && flags&0x01 != 0,
	}
	lacing := (flags >> 1) & 3
	if lacing == 0 {
		return r.addFrame(f, b, data, dataOff)
	}
	if len(data) < 1 {
		return newError(off, name, ErrMalformed, "laced block without frame count")
	}
	frames := int(data[0]) + 1
	pos := 1
	// Sizes of all frames but the last; the last takes the rest.
	var sizes [256]int
	total := 0
	switch lacing {
	case 1: // Xiph: each size is a run of 255s plus a final byte below 255.
		for i := 0; i < frames-1; i++ {
			size := 0
			for {
				if pos >= len(data) {
					return newError(off, name, ErrMalformed, "Xiph lace sizes past the block")
				}
				c := data[pos]
				pos++
				size += int(c)
				if c != 255 {
					break
				}
			}
			sizes[i] = size
			total += size
		}
	case 3: // EBML: the first size, then signed differences.
		for i := 0; i < frames-1; i++ {
			v, m, _ := readVint(data[pos:])
			if m <= 0 {
				return newError(off, name, ErrMalformed, "EBML lace sizes past the block")
			}
			pos += m
			size := int64(v)
			if i > 0 {
				// Signed varint: subtract the bias 2^(7m-1)-1.
				size = int64(sizes[i-1]) + int64(v) - (1<<(7*m-1) - 1)
			}
			if size < 0 || size > int64(len(data)) {
				return newError(off, name, ErrMalformed, "EBML lace size out of range")
			}
			sizes[i] = int(size)
			total += int(size)
		}
	case 2: // fixed: equal sizes.
		rest := len(data) - pos
		if rest%frames != 0 {
			return newError(off, name, ErrMalformed, "%d bytes do not split into %d equal frames", rest, frames)
		}
		for i := 0; i < frames-1; i++ {
			sizes[i] = rest / frames
			total += rest / frames
		}
	}
	if total > len(data)-pos {
		return newError(off, name, ErrMalformed, "lace sizes exceed the block")
	}
	sizes[frames-1] = len(data) - pos - total
	for i := 0; i < frames; i++ {
		b.Lace = uint8(i)
		if err := r.addFrame(f, b, data[pos:pos+sizes[i]], dataOff+int64(pos)); err != nil {
			return err
		}
		pos += sizes[i]
	}
	return nil
}

func (r *Reader) addFrame(f *Fragment, b Block, data []byte, off int64) error {
	if len(f.Blocks) >= MaxFramesPerFragment {
		return newError(off, "Cluster", ErrTooLarge, "more than %d frames", MaxFramesPerFragment)
	}
	// No codec KVS carries has an empty frame, and refusing them keeps
	// every Block (about 90 bytes) paid for by at least one input byte:
	// otherwise a 7-byte laced block declaring 256 empty frames costs
	// 256 Blocks, and a small input reaches MaxFramesPerFragment.
	if len(data) == 0 {
		return newError(off, "Cluster", ErrMalformed, "empty frame")
	}
	b.Data = data[:len(data):len(data)]
	b.Offset = off
	f.Blocks = append(f.Blocks, b)
	return nil
}

// parseBlockGroup reads a BlockGroup: its Block, BlockDuration and whether a
// ReferenceBlock makes it a non-key frame.
func (r *Reader) parseBlockGroup(f *Fragment, body []byte, off int64) error {
	var (
		block    []byte
		blockOff int64
		nblocks  int
		duration uint64
		hasDur   bool
		ref      bool
	)
	err := children(body, off, "BlockGroup", func(id uint32, data []byte, off int64) error {
		switch id {
		case idBlock:
			block, blockOff = data, off
			nblocks++
		case idBlockDuration:
			v, ok := readUint(data)
			if !ok {
				return newError(off, "BlockDuration", ErrMalformed, "integer longer than 8 bytes")
			}
			duration, hasDur = v, true
		case idReferenceBlock:
			ref = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if nblocks != 1 {
		return newError(off, "BlockGroup", ErrMalformed, "%d Blocks, want 1", nblocks)
	}
	first := len(f.Blocks)
	if err := r.parseBlock(f, block, blockOff, false); err != nil {
		return err
	}
	for i := first; i < len(f.Blocks); i++ {
		f.Blocks[i].Keyframe = !ref
		f.Blocks[i].Duration, f.Blocks[i].HasDuration = duration, hasDur
	}
	return nil
}

// cluster reads a Cluster into f: its Timecode and its blocks. A Cluster of
// unknown size ends at the first element that cannot be its child. When the
// input ends inside the Cluster, the complete blocks are kept and f is marked
// Truncated.
func (r *Reader) cluster(f *Fragment, el element, start int64) error {
	src := r.src
	end := int64(-1)   // input offset of the Cluster's end, if known
	announced := false // onStart called for this fragment
	if el.size != unknownSize {
		if el.size > MaxFragmentSize {
			return newError(el.off, "Cluster", ErrTooLarge, "%d bytes, limit %d", el.size, MaxFragmentSize)
		}
		end = el.off + int64(el.hdr) + int64(el.size)
		announced = r.onStart != nil && r.announceEarly(el, start)
		// One read for the whole Cluster; at the end of input take what
		// there is.
		switch err := src.fill(el.hdr + int(el.size)); {
		case err == nil:
		case err == errLimit:
			return newError(el.off, "Cluster", ErrTooLarge, "fragment larger than %d bytes", MaxFragmentSize)
		case isEOF(err):
			f.Truncated = true
		default:
			return err
		}
	} else if r.segEnd >= 0 {
		end = r.segEnd
	}
	src.skip(el.hdr)
	first := len(f.Blocks)
	var timecode uint64
	hasTimecode := false
	// With EndAtClusterSize, a Cluster of known size that is all in hand
	// is read without asking for a byte past its end: an element header
	// is looked for within the Cluster only, so that the last small
	// element does not wait for the next element's bytes to arrive.
	whole := r.endSize && end >= 0 && !f.Truncated
	for end < 0 || src.offset() < end {
		var c element
		var err error
		if whole {
			c, err = r.peekElementWithin(end)
		} else {
			c, err = r.peekElement()
		}
		if err == io.EOF {
			if end >= 0 {
				f.Truncated = true
			}
			break
		}
		if err != nil {
			if isEOF(err) {
				// A few bytes too short for a header: an unknown-size
				// Cluster is complete if they cannot start a child.
				f.Truncated = end >= 0 || !r.tailEndsCluster()
				break
			}
			return err
		}
		// An unknown-size Cluster ends here, also inside a Segment of
		// known size: the Segment's end only bounds it (found by
		// FuzzReader against ebml-go; it took the next Cluster as its
		// child).
		if el.size == unknownSize && !isClusterChild(c.id) {
			break
		}
		if c.size == unknownSize {
			return newError(c.off, elementName(c.id), ErrMalformed, "unknown size inside a Cluster")
		}
		if end >= 0 && c.overruns(end) {
			return newError(c.off, elementName(c.id), ErrMalformed, "overruns its Cluster")
		}
		body, err := r.body(c, MaxFragmentSize)
		if err != nil {
			if errors.Is(err, ErrUnexpectedEOF) {
				f.Truncated = true
				break
			}
			return err
		}
		bodyOff := c.off + int64(c.hdr)
		switch c.id {
		case idTimecode:
			// Matroska allows one: with two, which one the frames
			// count from would be a guess.
			if hasTimecode {
				return newError(c.off, "Timecode", ErrMalformed, "a second Timecode in the Cluster")
			}
			hasTimecode = true
			v, ok := r.clusterTimecode(body)
			if !ok {
				return newError(c.off, "Timecode", ErrMalformed, "value out of range")
			}
			timecode = v
			if r.onStart != nil && !announced {
				r.onStart(start, int64(v))
				announced = true
			}
		case idSimpleBlock:
			err = r.parseBlock(f, body, bodyOff, true)
		case idBlockGroup:
			err = r.parseBlockGroup(f, body, bodyOff)
		}
		if err != nil {
			return err
		}
	}
	f.Timecode = int64(timecode)
	for i := first; i < len(f.Blocks); i++ {
		f.Blocks[i].Time += f.Timecode
	}
	return nil
}

// earlyTimecode is how much of a Cluster of known size announceEarly waits
// for: the longest Timecode element, a 4-byte ID (it has a 1-byte one),
// an 8-byte size and 8 bytes of value.
const earlyTimecode = maxElementHeader + 8

// announceEarly reads the Timecode that leads a Cluster of known size, el,
// ahead of the rest of the Cluster and calls onStart with it; it reports
// whether it did. Nothing is consumed: the Cluster is then read whole as
// usual, and any error found here is left for that reading to report. A
// Cluster smaller than earlyTimecode arrives in one piece anyway.
func (r *Reader) announceEarly(el element, start int64) bool {
	if el.size < earlyTimecode {
		return false
	}
	src := r.src
	at := src.pos
	defer func() { src.pos = at }()
	if src.fill(el.hdr+earlyTimecode) != nil {
		return false
	}
	src.skip(el.hdr)
	c, err := r.peekElement()
	if err != nil || c.id != idTimecode {
		return false
	}
	// A header of at most 12 bytes and a body of at most 8 (body's
	// limit): all within what was filled.
	body, err := r.body(c, 8)
	if err != nil {
		return false
	}
	v, ok := r.clusterTimecode(body)
	if !ok {
		return false
	}
	r.onStart(start, int64(v))
	return true
}

// clusterTimecode reads the body of a Cluster's Timecode; ok is false for a
// value the Reader refuses. Times are converted to nanoseconds downstream,
// and that product must stay within int64.
func (r *Reader) clusterTimecode(body []byte) (uint64, bool) {
	v, ok := readUint(body)
	return v, ok && v <= math.MaxInt64/r.header.TimecodeScale/2
}
