package codec

import "encoding/binary"

// Matroska codec IDs of H.265.
const (
	// CodecIDHEVC is the Matroska ID of H.265 in ISO form, the one the KVS
	// producer SDK writes.
	CodecIDHEVC = "V_MPEGH/ISO/HEVC"
	// CodecIDHEVCDoc is the spelling found on a KVS documentation page;
	// accepted as the same codec.
	CodecIDHEVCDoc = "V_MPEG/ISO/HEVC"
)

// HEVCConfig is an H.265 decoder configuration.
type HEVCConfig struct {
	// HEVCProfile is the general profile, tier and level: the first
	// SPS's, or the record's when it has no SPS.
	HEVCProfile
	// ChromaFormat (chroma_format_idc) and the bit depths, as the first SPS
	// says; when the record has no SPS, as the record says.
	ChromaFormat                 byte
	BitDepthLuma, BitDepthChroma byte
	// LengthSize is the size in bytes (1, 2 or 4) of the NAL unit length
	// prefixes of the input frames; 0 when the input frames are Annex-B.
	LengthSize int
	// VPS, SPS and PPS are the parameter set NAL units of the record
	// (without length prefixes or start codes), sub-slices of Record.
	VPS, SPS, PPS [][]byte
	// InBand is set when the record lacks a VPS, an SPS or a PPS: the
	// frames must carry them, and the sample entry is "hev1".
	InBand bool
	// Record is the hvcC box payload to write into the MP4: reserved bits
	// set, 4-byte NAL lengths, chroma format and bit depths from the SPS,
	// parameter set arrays marked complete unless InBand.
	Record []byte
	// SPSInfo holds the facts decoded from the first SPS; zero when the
	// record has none.
	SPSInfo HEVCSPS
}

// hvccHeader is the fixed 23-byte part of an HEVCDecoderConfigurationRecord
// (ISO/IEC 14496-15 8.3.3.1), reserved bits dropped.
type hvccHeader struct {
	profile           HEVCProfile
	minSpatialSeg     uint16 // 12 bits
	parallelism       byte   // 2 bits
	chroma            byte   // 2 bits
	bitDepthLuma      byte   // 8..15
	bitDepthChroma    byte   // 8..15
	avgFrameRate      uint16
	constantFrameRate byte // 2 bits
	temporalLayers    byte // 3 bits
	temporalIDNested  bool
	lengthSize        int
}

// hvccArray is one NAL unit array of a record.
type hvccArray struct {
	typ      byte
	complete bool
	nals     [][]byte
}

const hvccHeaderSize = 23

// parseHVCC reads an hvcC record. Reserved bits are masked, never compared.
// Every count and length is checked against the bytes present before it is
// used; the NAL units are sub-slices of rec, and the slices holding them
// grow with what the record really contains, not with what its counts
// claim.
func parseHVCC(rec []byte) (h hvccHeader, arrays []hvccArray, err error) {
	if len(rec) < hvccHeaderSize {
		return h, nil, invalidCPD("hvcC record of %d bytes is too short (need at least %d)", len(rec), hvccHeaderSize)
	}
	if rec[0] != 1 {
		return h, nil, invalidCPD("hvcC configurationVersion is %d, want 1", rec[0])
	}
	p := &h.profile
	p.ProfileSpace = rec[1] >> 6
	p.Tier = rec[1]&0x20 != 0
	p.ProfileIDC = rec[1] & 0x1f
	p.CompatibilityFlags = binary.BigEndian.Uint32(rec[2:])
	p.ConstraintFlags = uint64(binary.BigEndian.Uint16(rec[6:]))<<32 | uint64(binary.BigEndian.Uint32(rec[8:]))
	p.LevelIDC = rec[12]
	h.minSpatialSeg = binary.BigEndian.Uint16(rec[13:]) & 0x0fff
	h.parallelism = rec[15] & 3
	h.chroma = rec[16] & 3
	h.bitDepthLuma = rec[17]&7 + 8
	h.bitDepthChroma = rec[18]&7 + 8
	h.avgFrameRate = binary.BigEndian.Uint16(rec[19:])
	h.constantFrameRate = rec[21] >> 6
	h.temporalLayers = rec[21] >> 3 & 7
	h.temporalIDNested = rec[21]&4 != 0
	h.lengthSize = int(rec[21]&3) + 1
	if h.lengthSize == 3 {
		return h, nil, invalidCPD("hvcC NAL length size of 3 bytes is not allowed (want 1, 2 or 4)")
	}
	numArrays := int(rec[22])
	if numArrays > maxHEVCArrays {
		return h, nil, invalidCPD("hvcC record declares %d NAL unit arrays (at most %d)", numArrays, maxHEVCArrays)
	}
	pos := hvccHeaderSize
	arrays = make([]hvccArray, 0, min(numArrays, (len(rec)-pos)/3))
	for i := 0; i < numArrays; i++ {
		if len(rec)-pos < 3 {
			return h, nil, invalidCPD("hvcC record ends at byte %d, inside the header of array %d of %d", pos, i+1, numArrays)
		}
		a := hvccArray{typ: rec[pos] & 0x3f, complete: rec[pos]&0x80 != 0}
		if a.typ < hevcNALVPS {
			return h, nil, invalidCPD("hvcC array %d of %d holds NAL units of type %d, a coded slice type", i+1, numArrays, a.typ)
		}
		n := int(binary.BigEndian.Uint16(rec[pos+1:]))
		pos += 3
		if n == 0 {
			// Allowed, and meaningless: an empty array.
			arrays = append(arrays, a)
			continue
		}
		// Each NAL unit takes at least 4 bytes (length and header).
		if n > (len(rec)-pos)/4 {
			return h, nil, invalidCPD("hvcC array %d of %d claims %d NAL units, but only %d bytes remain at byte %d", i+1, numArrays, n, len(rec)-pos, pos)
		}
		a.nals = make([][]byte, 0, n)
		for j := 0; j < n; j++ {
			if len(rec)-pos < 2 {
				return h, nil, invalidCPD("hvcC record ends at byte %d, inside the length of NAL unit %d of array %d", pos, j+1, i+1)
			}
			l := int(binary.BigEndian.Uint16(rec[pos:]))
			pos += 2
			if l < 2 {
				return h, nil, invalidCPD("hvcC NAL unit %d of array %d has %d bytes, less than its 2-byte header", j+1, i+1, l)
			}
			if l > len(rec)-pos {
				return h, nil, invalidCPD("hvcC NAL unit %d of array %d claims %d bytes at byte %d, but only %d remain", j+1, i+1, l, pos, len(rec)-pos)
			}
			nal := rec[pos : pos+l]
			if t := hevcNALType(nal[0]); t != a.typ {
				return h, nil, invalidCPD("hvcC NAL unit %d of array %d is of type %d, but the array is of type %d", j+1, i+1, t, a.typ)
			}
			a.nals = append(a.nals, nal)
			pos += l
		}
		arrays = append(arrays, a)
	}
	// Bytes after the last array are ignored, as for avcC: some writers pad.
	return h, arrays, nil
}

// hevcFromRecord builds the configuration of an hvcC CodecPrivate.
func hevcFromRecord(rec []byte) (*HEVCConfig, error) {
	h, arrays, err := parseHVCC(rec)
	if err != nil {
		return nil, err
	}
	return assembleHEVC(h, arrays)
}

// hevcFromAnnexB collects the parameter sets of an Annex-B CodecPrivate.
// Other NAL units (AUD, SEI) are ignored. Frames of such a track are
// expected in Annex-B form too, so LengthSize is 0.
func hevcFromAnnexB(b []byte) (*HEVCConfig, error) {
	vps, sps, pps := hevcParamSets(splitAnnexB(b))
	if len(vps) == 0 || len(sps) == 0 || len(pps) == 0 {
		return nil, invalidCPD("Annex-B CodecPrivate holds %d VPS, %d SPS and %d PPS; need at least one of each", len(vps), len(sps), len(pps))
	}
	c, err := NewHEVCConfig(vps, sps, pps)
	if err != nil {
		return nil, err
	}
	c.LengthSize = 0
	return c, nil
}

func hevcParamSets(nals [][]byte) (vps, sps, pps [][]byte) {
	for _, n := range nals {
		sortHEVCParamSet(n, &vps, &sps, &pps)
	}
	return vps, sps, pps
}

// sortHEVCParamSet appends nal to the list of its kind when it is a VPS,
// SPS or PPS, and ignores it otherwise.
func sortHEVCParamSet(nal []byte, vps, sps, pps *[][]byte) {
	if len(nal) < 2 {
		return
	}
	switch hevcNALType(nal[0]) {
	case hevcNALVPS:
		*vps = append(*vps, nal)
	case hevcNALSPS:
		*sps = append(*sps, nal)
	case hevcNALPPS:
		*pps = append(*pps, nal)
	}
}

// NewHEVCConfig builds a decoder configuration from parameter sets, such
// as those HEVCParameterSets pulls out of a frame when a producer sent them
// in-band. The record's profile, tier, level, sub-layer count and sample
// format come from the first SPS; every SPS is parsed, so a malformed one
// is an InvalidCodecPrivateData error. The result does not alias the
// arguments; LengthSize is 4.
func NewHEVCConfig(vps, sps, pps [][]byte) (*HEVCConfig, error) {
	if len(vps) == 0 || len(sps) == 0 || len(pps) == 0 {
		return nil, invalidCPD("need at least one VPS, SPS and PPS, have %d, %d and %d", len(vps), len(sps), len(pps))
	}
	arrays := []hvccArray{{typ: hevcNALVPS, nals: vps}, {typ: hevcNALSPS, nals: sps}, {typ: hevcNALPPS, nals: pps}}
	for _, a := range arrays {
		for i, n := range a.nals {
			if len(n) < 2 || hevcNALType(n[0]) != a.typ {
				return nil, invalidCPD("parameter set %d of the type %d list is not a NAL unit of that type", i+1, a.typ)
			}
		}
	}
	first, err := ParseHEVCSPS(sps[0])
	if err != nil {
		return nil, err
	}
	h := hvccHeader{
		profile:          first.PTL,
		temporalLayers:   first.MaxSubLayers,
		temporalIDNested: first.TemporalIDNesting,
		lengthSize:       4,
	}
	return assembleHEVC(h, arrays)
}

// assembleHEVC validates the parameter sets of arrays and writes the
// canonical record. The first SPS, when there is one, is the authority for
// the profile, tier, level and sample format: players read them from the
// record (MIME codec strings, capability checks) but decode by the SPS. The
// other header fields (segmentation, parallelism, frame rate, temporal
// layers) are kept from h.
func assembleHEVC(h hvccHeader, arrays []hvccArray) (*HEVCConfig, error) {
	var nVPS, nSPS, nPPS int
	for _, a := range arrays {
		if len(a.nals) > 0xFFFF {
			return nil, invalidCPD("%d NAL units of type %d exceed the 65535 an hvcC array can hold", len(a.nals), a.typ)
		}
		switch a.typ {
		case hevcNALVPS:
			nVPS += len(a.nals)
		case hevcNALSPS:
			nSPS += len(a.nals)
		case hevcNALPPS:
			nPPS += len(a.nals)
		}
	}
	c := &HEVCConfig{
		HEVCProfile:    h.profile,
		ChromaFormat:   h.chroma,
		BitDepthLuma:   h.bitDepthLuma,
		BitDepthChroma: h.bitDepthChroma,
		LengthSize:     h.lengthSize,
		InBand:         nVPS == 0 || nSPS == 0 || nPPS == 0,
	}
	// Every SPS must parse; the first one gives the facts.
	seen := 0
	for _, a := range arrays {
		if a.typ != hevcNALSPS {
			continue
		}
		for _, n := range a.nals {
			info, err := ParseHEVCSPS(n)
			if err != nil {
				if nSPS > 1 {
					return nil, invalidCPD("SPS %d of %d: %v", seen+1, nSPS, err)
				}
				return nil, err
			}
			if seen == 0 {
				c.SPSInfo = info
			}
			seen++
		}
	}
	if nSPS > 0 {
		// The SPS is what a decoder follows; a record header that says
		// otherwise is corrected rather than refused.
		s := &c.SPSInfo
		c.ChromaFormat, c.BitDepthLuma, c.BitDepthChroma = s.ChromaFormat, s.BitDepthLuma, s.BitDepthChroma
		c.HEVCProfile = s.PTL
	}
	if c.BitDepthLuma > 15 || c.BitDepthChroma > 15 {
		// The record stores bitDepthMinus8 in 3 bits.
		return nil, invalidCPD("bit depth %d/%d cannot be written into an hvcC record (at most 15)", c.BitDepthLuma, c.BitDepthChroma)
	}

	size := hvccHeaderSize
	for _, a := range arrays {
		size += 3
		for _, n := range a.nals {
			if len(n) > maxParameterSetSize {
				return nil, invalidCPD("NAL unit of %d bytes exceeds the %d an hvcC record can hold", len(n), maxParameterSetSize)
			}
			size += 2 + len(n)
		}
	}
	rec := make([]byte, 0, size)
	p := c.HEVCProfile
	b1 := p.ProfileSpace<<6 | p.ProfileIDC&0x1f
	if p.Tier {
		b1 |= 0x20
	}
	rec = append(rec, 1, b1)
	rec = binary.BigEndian.AppendUint32(rec, p.CompatibilityFlags)
	rec = binary.BigEndian.AppendUint16(rec, uint16(p.ConstraintFlags>>32))
	rec = binary.BigEndian.AppendUint32(rec, uint32(p.ConstraintFlags))
	rec = append(rec, p.LevelIDC)
	rec = binary.BigEndian.AppendUint16(rec, 0xF000|h.minSpatialSeg)
	rec = append(rec, 0xFC|h.parallelism, 0xFC|c.ChromaFormat, 0xF8|(c.BitDepthLuma-8), 0xF8|(c.BitDepthChroma-8))
	rec = binary.BigEndian.AppendUint16(rec, h.avgFrameRate)
	b21 := h.constantFrameRate<<6 | (h.temporalLayers&7)<<3 | 3 // lengthSizeMinusOne = 3
	if h.temporalIDNested {
		b21 |= 4
	}
	rec = append(rec, b21, byte(len(arrays)))
	for _, a := range arrays {
		flag := a.typ
		switch {
		case a.typ == hevcNALVPS || a.typ == hevcNALSPS || a.typ == hevcNALPPS:
			// Complete exactly when all parameter sets are in the record
			// (hvc1); with some in-band (hev1) no array can claim to be.
			if !c.InBand {
				flag |= 0x80
			}
		case a.complete:
			flag |= 0x80
		}
		rec = append(rec, flag)
		rec = binary.BigEndian.AppendUint16(rec, uint16(len(a.nals)))
		for _, n := range a.nals {
			rec = binary.BigEndian.AppendUint16(rec, uint16(len(n)))
			start := len(rec)
			rec = append(rec, n...)
			nal := rec[start:len(rec):len(rec)]
			switch a.typ {
			case hevcNALVPS:
				c.VPS = append(c.VPS, nal)
			case hevcNALSPS:
				c.SPS = append(c.SPS, nal)
			case hevcNALPPS:
				c.PPS = append(c.PPS, nal)
			}
		}
	}
	c.Record = rec
	return c, nil
}

// SampleEntry returns the MP4 sample entry type for the configuration:
// "hvc1" when the record holds every parameter set, "hev1" when the frames
// must carry some of them.
func (c *HEVCConfig) sampleEntry() string {
	if c.InBand {
		return "hev1"
	}
	return "hvc1"
}

// Frame returns frame in the form the MP4 needs (4-byte NAL lengths): frame
// itself when it already is, else the conversion appended to dst. NAL
// length prefixes and Annex-B start codes do not depend on the codec, so
// this is ToAVCC with the configuration's LengthSize; a frame that
// neither form tiles is an InvalidMediaFrame error.
func (c *HEVCConfig) Frame(dst, frame []byte) ([]byte, error) {
	out, _, err := ToAVCC(dst, frame, c.LengthSize)
	return out, err
}

// HasIRAP reports whether an H.265 frame contains an intra random access
// point picture (NAL types 16..21: BLA, IDR, CRA), that is whether a
// decoder can start from it. A frame that cannot be parsed has none.
func HasIRAP(frame []byte, lengthSize int) bool {
	irap := false
	err := forEachNAL(frame, lengthSize, func(nal []byte) {
		if t := hevcNALType(nal[0]); t >= hevcNALIRAPFirst && t <= hevcNALIRAPLast {
			irap = true
		}
	})
	return err == nil && irap
}

// HEVCParameterSets returns the VPS, SPS and PPS NAL units found in an
// H.265 frame, as sub-slices of it (nothing is copied). Pass them to
// NewHEVCConfig to describe a track whose parameter sets travel in-band.
func HEVCParameterSets(frame []byte, lengthSize int) (vps, sps, pps [][]byte, err error) {
	err = forEachNAL(frame, lengthSize, func(nal []byte) {
		sortHEVCParamSet(nal, &vps, &sps, &pps)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return vps, sps, pps, nil
}
