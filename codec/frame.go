package codec

import "encoding/binary"

// tileFault says why a frame is not tiled by its NAL length prefixes. It
// is a plain value so that the hot path, which tries the length-prefixed
// form before Annex-B, builds no error for a frame that turns out to be
// Annex-B; the error is made only when it is reported.
type tileFault struct {
	what     uint8 // 0: none; see the constants below
	ls, pos  int
	n        uint64
	frameLen int
}

const (
	faultNone = iota
	faultShortPrefix
	faultZero
	faultOverrun
)

func (f tileFault) err() error {
	switch f.what {
	case faultShortPrefix:
		return invalidFrame("frame of %d bytes ends inside a %d-byte NAL length at offset %d", f.frameLen, f.ls, f.pos)
	case faultZero:
		return invalidFrame("zero-length NAL unit at offset %d of a %d-byte frame", f.pos, f.frameLen)
	case faultOverrun:
		return invalidFrame("NAL unit length %d at offset %d overruns the %d-byte frame", f.n, f.pos, f.frameLen)
	}
	return nil
}

// checkLengthPrefixed verifies that the NAL length prefixes of size ls
// exactly tile frame: each length fits in what remains, none is zero, and the
// last NAL unit ends on the frame's last byte.
//
// A zero length is refused rather than skipped: a NAL unit has at least a
// one-byte header, so a zero can only be a corrupt or misread prefix, and
// reading on from it would take payload bytes for lengths. Refusing it also
// keeps an Annex-B frame (which begins with zero bytes) from passing as
// length-prefixed.
func checkLengthPrefixed(frame []byte, ls int) tileFault {
	pos := 0
	for pos < len(frame) {
		if len(frame)-pos < ls {
			return tileFault{what: faultShortPrefix, ls: ls, pos: pos, frameLen: len(frame)}
		}
		n := readLength(frame[pos:], ls)
		if n == 0 {
			return tileFault{what: faultZero, ls: ls, pos: pos, frameLen: len(frame)}
		}
		if n > uint64(len(frame)-pos-ls) {
			return tileFault{what: faultOverrun, ls: ls, pos: pos, n: n, frameLen: len(frame)}
		}
		pos += ls + int(n)
	}
	return tileFault{}
}

// readLength reads a big-endian length of ls (1, 2 or 4) bytes.
func readLength(b []byte, ls int) uint64 {
	switch ls {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(b))
	default:
		return uint64(binary.BigEndian.Uint32(b))
	}
}

// validLengthSize reports whether ls is a NAL length size this package
// handles; 0 stands for Annex-B.
func validLengthSize(ls int) bool {
	return ls == 0 || ls == 1 || ls == 2 || ls == 4
}

// ToAVCC returns frame in MP4 form: NAL units behind 4-byte big-endian
// lengths. lengthSize is the prefix size the track declares (1, 2 or 4, or 0
// for Annex-B).
//
// When frame already is valid 4-byte AVCC it is returned itself, with
// converted false: nothing is copied or allocated. That is the case for
// everything KVS stores through the producer SDK. Otherwise the converted
// frame is appended to dst (which must not overlap frame) and returned with
// converted true. 4-byte tiling is tried first even when lengthSize is 0,
// because a producer may convert frames while declaring Annex-B, and because
// a length-prefixed frame whose first NAL unit is 256..511 bytes long begins
// with the bytes of a start code. A frame that fits neither form is an
// InvalidMediaFrame error that describes why the declared form failed.
func ToAVCC(dst, frame []byte, lengthSize int) (out []byte, converted bool, err error) {
	if !validLengthSize(lengthSize) {
		return dst, false, invalidFrame("NAL length size %d is not 1, 2 or 4", lengthSize)
	}
	if len(frame) == 0 {
		return dst, false, invalidFrame("empty frame")
	}
	if lengthSize == 1 || lengthSize == 2 {
		fault := checkLengthPrefixed(frame, lengthSize)
		if fault.what == faultNone {
			return appendWidened(dst, frame, lengthSize), true, nil
		}
		if isAnnexB(frame) {
			out, err = appendAnnexBAsAVCC(dst, frame)
			return out, err == nil, err
		}
		return dst, false, fault.err()
	}
	fault := checkLengthPrefixed(frame, 4)
	if fault.what == faultNone {
		return frame, false, nil
	}
	if isAnnexB(frame) {
		out, err = appendAnnexBAsAVCC(dst, frame)
		return out, err == nil, err
	}
	if lengthSize == 0 {
		return dst, false, invalidFrame("frame of %d bytes is neither Annex-B nor 4-byte length-prefixed", len(frame))
	}
	return dst, false, fault.err()
}

// appendWidened rewrites a frame checked by checkLengthPrefixed from
// ls-byte to 4-byte lengths.
func appendWidened(dst, frame []byte, ls int) []byte {
	for pos := 0; pos < len(frame); {
		n := int(readLength(frame[pos:], ls))
		pos += ls
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
		dst = append(dst, frame[pos:pos+n]...)
		pos += n
	}
	return dst
}

// Frame returns frame in the form the MP4 needs (4-byte NAL lengths), as
// ToAVCC does with the configuration's LengthSize: frame itself when it
// already is, else the conversion appended to dst.
func (c *AVCConfig) Frame(dst, frame []byte) ([]byte, error) {
	out, _, err := ToAVCC(dst, frame, c.LengthSize)
	return out, err
}

// forEachNAL calls fn with each NAL unit of frame, a sub-slice of it. The
// form is detected as in ToAVCC.
func forEachNAL(frame []byte, lengthSize int, fn func(nal []byte)) error {
	if !validLengthSize(lengthSize) {
		return invalidFrame("NAL length size %d is not 1, 2 or 4", lengthSize)
	}
	if len(frame) == 0 {
		return invalidFrame("empty frame")
	}
	ls := lengthSize
	if ls == 0 {
		ls = 4
	}
	if fault := checkLengthPrefixed(frame, ls); fault.what != faultNone {
		if !isAnnexB(frame) {
			return fault.err()
		}
		it := newAnnexBIter(frame)
		for nal := it.next(); nal != nil; nal = it.next() {
			fn(nal)
		}
		return nil
	}
	for pos := 0; pos < len(frame); {
		n := int(readLength(frame[pos:], ls))
		pos += ls
		fn(frame[pos : pos+n])
		pos += n
	}
	return nil
}

// ParameterSets returns the SPS and PPS NAL units found in a frame, as
// sub-slices of it (nothing is copied). It is how a decoder configuration is
// built for a producer that put its parameter sets in-band, in Annex-B or
// length-prefixed frames, instead of in CodecPrivate; pass the results to
// NewAVCConfig.
func ParameterSets(frame []byte, lengthSize int) (sps, pps [][]byte, err error) {
	err = forEachNAL(frame, lengthSize, func(nal []byte) {
		switch nal[0] & 0x1f {
		case nalSPS:
			sps = append(sps, nal)
		case nalPPS:
			pps = append(pps, nal)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return sps, pps, nil
}

// HasIDR reports whether a frame contains an IDR slice (NAL type 5), that is
// whether a decoder can start from it. A frame that cannot be parsed has none.
func HasIDR(frame []byte, lengthSize int) bool {
	idr := false
	err := forEachNAL(frame, lengthSize, func(nal []byte) {
		if nal[0]&0x1f == nalIDR {
			idr = true
		}
	})
	return err == nil && idr
}
