package codec

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/Eyevinn/mp4ff/avc"

	"github.com/kvsclip/kvsclip/kvs"
)

// H.264 NAL unit types this package looks at (H.264 Table 7-1).
const (
	nalIDR    = 5
	nalSPS    = 7
	nalPPS    = 8
	nalAUD    = 9
	nalSPSExt = 13
)

// parseAVCC reads an AVCDecoderConfigurationRecord (ISO/IEC 14496-15
// 5.3.3.1). Reserved bits are masked, never compared: real KVS records have
// them cleared. It checks every count and length against the bytes present
// and returns the parameter sets as sub-slices of rec together with the NAL
// length size the frames use.
func parseAVCC(rec []byte) (sps, pps, ext [][]byte, lengthSize int, err error) {
	if len(rec) < 7 {
		return nil, nil, nil, 0, invalidCPD("avcC record of %d bytes is too short (need at least 7)", len(rec))
	}
	if rec[0] != 1 {
		return nil, nil, nil, 0, invalidCPD("avcC configurationVersion is %d, want 1", rec[0])
	}
	lengthSize = int(rec[4]&3) + 1
	if lengthSize == 3 {
		// lengthSizeMinusOne = 2 is not allowed by 14496-15.
		return nil, nil, nil, 0, invalidCPD("avcC NAL length size of 3 bytes is not allowed (want 1, 2 or 4)")
	}
	pos := 5
	numSPS := int(rec[pos] & 0x1f)
	pos++
	if numSPS == 0 {
		return nil, nil, nil, 0, invalidCPD("avcC record has no SPS")
	}
	sps, pos, err = readParamSets(rec, pos, numSPS, nalSPS, "SPS")
	if err != nil {
		return nil, nil, nil, 0, err
	}
	if pos >= len(rec) {
		return nil, nil, nil, 0, invalidCPD("avcC record ends after its SPS, at byte %d, before numOfPictureParameterSets", pos)
	}
	numPPS := int(rec[pos])
	pos++
	if numPPS == 0 {
		return nil, nil, nil, 0, invalidCPD("avcC record has no PPS")
	}
	pps, pos, err = readParamSets(rec, pos, numPPS, nalPPS, "PPS")
	if err != nil {
		return nil, nil, nil, 0, err
	}
	// High profiles may append chroma format, bit depths and SPS extensions.
	// Encoders often leave this trailer out, and nothing here depends on it
	// (the SPS says the same), so fewer than 4 bytes count as "absent".
	if highProfile(rec[1]) && len(rec)-pos >= 4 {
		numExt := int(rec[pos+3])
		ext, _, err = readParamSets(rec, pos+4, numExt, nalSPSExt, "SPS extension")
		if err != nil {
			return nil, nil, nil, 0, err
		}
	}
	return sps, pps, ext, lengthSize, nil
}

// readParamSets reads n length-prefixed NAL units of type want starting at
// pos.
func readParamSets(rec []byte, pos, n int, want byte, what string) ([][]byte, int, error) {
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		if len(rec)-pos < 2 {
			return nil, 0, invalidCPD("avcC record ends at byte %d, inside the length of %s %d of %d", pos, what, i+1, n)
		}
		l := int(binary.BigEndian.Uint16(rec[pos:]))
		pos += 2
		if l == 0 {
			return nil, 0, invalidCPD("avcC %s %d of %d is empty", what, i+1, n)
		}
		if l > len(rec)-pos {
			return nil, 0, invalidCPD("avcC %s %d of %d claims %d bytes at byte %d, but only %d remain", what, i+1, n, l, pos, len(rec)-pos)
		}
		nal := rec[pos : pos+l]
		if t := nal[0] & 0x1f; t != want {
			return nil, 0, invalidCPD("avcC %s %d of %d is a NAL unit of type %d, want %d", what, i+1, n, t, want)
		}
		out = append(out, nal)
		pos += l
	}
	return out, pos, nil
}

// crossCheckAVCC decodes rec with mp4ff as a second opinion. mp4ff only
// handles 4-byte NAL lengths and no SPS extensions, so it is consulted only
// for such records; where it applies, it must find the same parameter sets.
// A disagreement means one of the two parsers is wrong about the record, and
// the record is refused rather than guessed at.
func crossCheckAVCC(rec []byte, lengthSize int, sps, pps, ext [][]byte) error {
	if lengthSize != 4 || len(ext) != 0 {
		return nil
	}
	dcr, err := avc.DecodeAVCDecConfRec(rec)
	if errors.Is(err, avc.ErrCannotParseAVCExtension) {
		return nil
	}
	if err != nil {
		return invalidCPD("avcC record rejected by the mp4ff decoder: %v", err)
	}
	if !sameNALs(dcr.SPSnalus, sps) || !sameNALs(dcr.PPSnalus, pps) {
		return invalidCPD("avcC record decodes to different parameter sets in mp4ff")
	}
	return nil
}

func sameNALs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// NewAVCConfig builds a decoder configuration from parameter sets, such as
// those ParameterSets pulls out of a frame when a producer sent Annex-B
// frames without CodecPrivate. The facts come from the first SPS; every SPS
// is parsed, so a malformed one is an InvalidCodecPrivateData error. The
// parameter sets are copied: the result does not alias the arguments.
// LengthSize is set to 4; callers that know better set it afterwards.
func NewAVCConfig(sps, pps, spsExt [][]byte) (*AVCConfig, error) {
	if len(sps) == 0 {
		return nil, invalidCPD("no SPS")
	}
	if len(pps) == 0 {
		return nil, invalidCPD("no PPS")
	}
	if len(sps) > maxSPSCount {
		return nil, invalidCPD("%d SPS exceed the %d an avcC record can hold", len(sps), maxSPSCount)
	}
	if len(pps) > maxPPSCount || len(spsExt) > maxPPSCount {
		return nil, invalidCPD("%d PPS / %d SPS extensions exceed the %d an avcC record can hold", len(pps), len(spsExt), maxPPSCount)
	}
	var first SPS
	for i, s := range sps {
		info, err := ParseSPS(s)
		if err != nil {
			if len(sps) > 1 {
				return nil, invalidCPD("SPS %d of %d: %s", i+1, len(sps), err.(*kvs.Error).Msg)
			}
			return nil, err
		}
		if i == 0 {
			first = info
		}
	}
	size := 7
	for _, group := range [...][][]byte{sps, pps, spsExt} {
		for _, n := range group {
			if len(n) == 0 || len(n) > maxParameterSetSize {
				return nil, invalidCPD("parameter set of %d bytes (want 1..%d)", len(n), maxParameterSetSize)
			}
			size += 2 + len(n)
		}
	}
	for i, p := range pps {
		if p[0]&0x1f != nalPPS {
			return nil, invalidCPD("PPS %d of %d is a NAL unit of type %d", i+1, len(pps), p[0]&0x1f)
		}
	}
	for i, e := range spsExt {
		if e[0]&0x1f != nalSPSExt {
			return nil, invalidCPD("SPS extension %d of %d is a NAL unit of type %d", i+1, len(spsExt), e[0]&0x1f)
		}
	}
	trailer := highProfile(first.Profile)
	if trailer {
		size += 4
	}

	// One allocation holds the record; the SPS/PPS slices point into it.
	rec := make([]byte, 0, size)
	rec = append(rec, 1, first.Profile, first.Compatibility, first.Level,
		0xFC|3, // reserved bits set, lengthSizeMinusOne = 3
		0xE0|byte(len(sps)))
	c := &AVCConfig{
		Profile:       first.Profile,
		Compatibility: first.Compatibility,
		Level:         first.Level,
		LengthSize:    4,
		SPSInfo:       first,
	}
	add := func(dst [][]byte, n []byte) [][]byte {
		rec = binary.BigEndian.AppendUint16(rec, uint16(len(n)))
		start := len(rec)
		rec = append(rec, n...)
		return append(dst, rec[start:len(rec):len(rec)])
	}
	for _, n := range sps {
		c.SPS = add(c.SPS, n)
	}
	rec = append(rec, byte(len(pps)))
	for _, n := range pps {
		c.PPS = add(c.PPS, n)
	}
	if trailer {
		rec = append(rec, 0xFC|first.ChromaFormat, 0xF8|(first.BitDepthLuma-8),
			0xF8|(first.BitDepthChroma-8), byte(len(spsExt)))
		for _, n := range spsExt {
			c.SPSExt = add(c.SPSExt, n)
		}
	}
	c.Record = rec
	return c, nil
}
