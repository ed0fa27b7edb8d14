package mkv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// unknownSize is what readSize returns for a size field with all value bits
// set, which EBML reserves for "size not known".
const unknownSize = math.MaxUint64

// readID reads an element ID (1 to 4 bytes, marker bits kept). n is 0 when
// b is too short and -1 when the first byte is not a valid ID start.
func readID(b []byte) (id uint32, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	l := bits.LeadingZeros8(b[0]) + 1
	if l > 4 {
		return 0, -1
	}
	if len(b) < l {
		return 0, 0
	}
	for i := 0; i < l; i++ {
		id = id<<8 | uint32(b[i])
	}
	return id, l
}

// readVint reads an EBML variable-size integer (1 to 8 bytes) with the
// length marker removed. n is 0 when b is too short and -1 when the first
// byte is 0. all is set when every value bit is 1 (unknown size).
func readVint(b []byte) (v uint64, n int, all bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] == 0 {
		return 0, -1, false
	}
	l := bits.LeadingZeros8(b[0]) + 1
	if len(b) < l {
		return 0, 0, false
	}
	v = uint64(b[0]) & (0xFF >> l)
	for i := 1; i < l; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, l, v == 1<<(7*l)-1
}

// readSize reads an element size; unknown sizes come back as unknownSize.
func readSize(b []byte) (size uint64, n int) {
	v, n, all := readVint(b)
	if n > 0 && all {
		return unknownSize, n
	}
	return v, n
}

// readUint decodes an unsigned integer element body (0 to 8 bytes).
func readUint(b []byte) (uint64, bool) {
	if len(b) > 8 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, true
}

// readFloat decodes a float element body (0, 4 or 8 bytes).
func readFloat(b []byte) (float64, bool) {
	switch len(b) {
	case 0:
		return 0, true
	case 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), true
	case 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b)), true
	}
	return 0, false
}

// readString decodes a string element body. A string ends at its first NUL
// if it has one: writers pad strings with NULs (the producer SDK writes
// "Kinesis Video SDK\x00"), or overwrite a value in place with a shorter
// one, and EBML (RFC 8794, section 13) has readers ignore the NUL and
// everything after it. Keeping the bytes after a NUL made a tag named
// "A\x00B" differ from the "A" other readers see (found by FuzzReader
// against ebml-go).
func readString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// element is a parsed element header.
type element struct {
	id   uint32
	off  int64  // input offset of the ID
	hdr  int    // bytes of ID and size
	size uint64 // body size, or unknownSize
}

// overruns reports whether el reaches past end, an input offset: its body
// or already its header, which a size check alone would miss (the room
// left would be negative; found by FuzzReader against ebml-go).
func (el element) overruns(end int64) bool {
	body := el.off + int64(el.hdr)
	return body > end || el.size != unknownSize && el.size > uint64(end-body)
}

// elementName names the IDs that appear in error messages.
func elementName(id uint32) string {
	switch id {
	case idEBML:
		return "EBML"
	case idSegment:
		return "Segment"
	case idSeekHead:
		return "SeekHead"
	case idInfo:
		return "Info"
	case idTracks:
		return "Tracks"
	case idTrackEntry:
		return "TrackEntry"
	case idCluster:
		return "Cluster"
	case idCues:
		return "Cues"
	case idTags:
		return "Tags"
	case idTag:
		return "Tag"
	case idSimpleTag:
		return "SimpleTag"
	case idSimpleBlock:
		return "SimpleBlock"
	case idBlockGroup:
		return "BlockGroup"
	case idBlock:
		return "Block"
	case idTimecode:
		return "Timecode"
	}
	return fmt.Sprintf("element 0x%X", id)
}

// children walks the child elements of a master element body that is fully
// in memory. fn gets each child's ID, body and offset; a child that does not
// fit in the body, or has an unknown size, is ErrMalformed.
func children(body []byte, off int64, parent string, fn func(id uint32, data []byte, off int64) error) error {
	pos := 0
	for pos < len(body) {
		id, n := readID(body[pos:])
		if n <= 0 {
			return newError(off+int64(pos), parent, ErrMalformed, "bad child element ID")
		}
		size, m := readSize(body[pos+n:])
		if m <= 0 {
			return newError(off+int64(pos), parent, ErrMalformed, "bad child element size")
		}
		start := pos + n + m
		if size == unknownSize || size > uint64(len(body)-start) {
			return newError(off+int64(pos), parent, ErrMalformed, "%s overruns its parent", elementName(id))
		}
		end := start + int(size)
		if err := fn(id, body[start:end], off+int64(start)); err != nil {
			return err
		}
		pos = end
	}
	return nil
}
