package codec

import (
	"bytes"
	"encoding/binary"
	"math"
)

// startCode is the three-byte Annex-B start code prefix; the four-byte form
// is the same with one more leading zero, which belongs to the byte stream
// and not to the NAL unit before it.
var startCode = []byte{0, 0, 1}

// isAnnexB reports whether b begins like an H.264 Annex-B byte stream: any
// number of zero bytes (at least two) followed by 0x01.
func isAnnexB(b []byte) bool {
	i := 0
	for i < len(b) && b[i] == 0 {
		i++
	}
	return i >= 2 && i < len(b) && b[i] == 1
}

// annexBIter yields the NAL units of an Annex-B byte stream as sub-slices.
// Trailing zero bytes before a start code are stripped: in a byte stream
// they are trailing_zero_8bits (or the leading zero of a four-byte start
// code), and a NAL unit never ends in a zero byte (H.264 7.4.1, B.2). Empty
// NAL units between two start codes are skipped; they carry nothing and no
// length field can be misread because of them.
type annexBIter struct {
	b   []byte
	pos int
}

// newAnnexBIter starts after the first start code. The caller has checked
// isAnnexB.
func newAnnexBIter(b []byte) annexBIter {
	i := bytes.Index(b, startCode)
	return annexBIter{b: b, pos: i + 3}
}

// next returns the next NAL unit, or nil at the end.
func (it *annexBIter) next() []byte {
	for it.pos < len(it.b) {
		rest := it.b[it.pos:]
		end := bytes.Index(rest, startCode)
		var nal []byte
		if end < 0 {
			nal = rest
			it.pos = len(it.b)
		} else {
			nal = rest[:end]
			it.pos += end + 3
		}
		for len(nal) > 0 && nal[len(nal)-1] == 0 {
			nal = nal[:len(nal)-1]
		}
		if len(nal) > 0 {
			return nal
		}
	}
	return nil
}

// splitAnnexB returns the NAL units of an Annex-B byte stream as sub-slices
// of b.
func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	it := newAnnexBIter(b)
	for nal := it.next(); nal != nil; nal = it.next() {
		out = append(out, nal)
	}
	return out
}

// appendAnnexBAsAVCC appends the NAL units of the Annex-B frame to dst, each
// behind a 4-byte big-endian length.
func appendAnnexBAsAVCC(dst, frame []byte) ([]byte, error) {
	start := len(dst)
	it := newAnnexBIter(frame)
	for nal := it.next(); nal != nil; nal = it.next() {
		if uint64(len(nal)) > math.MaxUint32 {
			return dst[:start], invalidFrame("NAL unit of %d bytes does not fit a 4-byte length", len(nal))
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
		dst = append(dst, nal...)
	}
	if len(dst) == start {
		return dst, invalidFrame("Annex-B frame of %d bytes holds no NAL unit", len(frame))
	}
	return dst, nil
}
