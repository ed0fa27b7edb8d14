package ts

import "encoding/binary"

// Access unit delimiters: H.264 nal_unit_type 9 with primary_pic_type 7
// (any slice type), H.265 nal_unit_type 35 with pic_type 2.
var (
	audH264 = []byte{0, 0, 0, 1, 0x09, 0xF0}
	audH265 = []byte{0, 0, 0, 1, 0x46, 0x01, 0x50}
)

var startCode = []byte{0, 0, 0, 1}

// appendAnnexB appends a video frame in Annex-B: the access unit
// delimiter, the parameter sets at a key frame, then the frame's NAL
// units with start codes for their length prefixes (LengthSize 0: the
// frame is Annex-B already).
func appendAnnexB(dst []byte, t *Track, s *Sample) ([]byte, error) {
	if t.Codec == H264 {
		dst = append(dst, audH264...)
	} else {
		dst = append(dst, audH265...)
	}
	if s.Key {
		for _, ps := range t.ParamSets {
			dst = append(dst, startCode...)
			dst = append(dst, ps...)
		}
	}
	b, n := s.Data, t.LengthSize
	if n == 0 {
		// The producer sent Annex-B: the frame goes as it is.
		return append(dst, b...), nil
	}
	if n != 1 && n != 2 && n != 4 {
		return nil, ErrFrame
	}
	for len(b) > 0 {
		if len(b) < n {
			return nil, ErrFrame
		}
		var size int
		switch n {
		case 1:
			size = int(b[0])
		case 2:
			size = int(binary.BigEndian.Uint16(b))
		case 4:
			size = int(binary.BigEndian.Uint32(b))
		}
		b = b[n:]
		if size > len(b) || size < 0 {
			return nil, ErrFrame
		}
		dst = append(dst, startCode...)
		dst = append(dst, b[:size]...)
		b = b[size:]
	}
	return dst, nil
}

// appendADTS appends an AAC frame behind its ADTS header (ISO/IEC 13818-7
// §6.2): MPEG-4, no CRC, one raw data block.
func appendADTS(dst []byte, t *Track, frame []byte) ([]byte, error) {
	if len(frame) > maxADTSFrame || t.ObjectType == 0 || t.ObjectType > 4 {
		return nil, ErrFrame
	}
	n := len(frame) + adtsHeaderSize
	profile := t.ObjectType - 1
	dst = append(dst,
		0xFF,
		0xF1, // MPEG-4, layer 0, no CRC
		profile<<6|t.FreqIndex<<2|t.ChannelConfig>>2,
		(t.ChannelConfig&3)<<6|byte(n>>11),
		byte(n>>3),
		byte(n&7)<<5|0x1F, // buffer fullness 0x7FF: variable rate
		0xFC,
	)
	return append(dst, frame...), nil
}
