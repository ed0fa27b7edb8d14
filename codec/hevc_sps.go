package codec

// HEVCSPS holds the facts of an H.265 sequence parameter set that a remuxer
// needs: the general profile, tier and level for the hvcC record, the
// picture size after the conformance window for the sample entry, the
// sample format, and the reorder depth for composition offsets.
type HEVCSPS struct {
	// VPSID is sps_video_parameter_set_id; ID is sps_seq_parameter_set_id
	// (0..15).
	VPSID, ID uint32
	// MaxSubLayers is sps_max_sub_layers_minus1+1 (1..7).
	MaxSubLayers byte
	// TemporalIDNesting is sps_temporal_id_nesting_flag.
	TemporalIDNesting bool
	// PTL is the general part of profile_tier_level().
	PTL HEVCProfile
	// ChromaFormat is chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2,
	// 3 4:4:4.
	ChromaFormat byte
	// SeparateColourPlane is separate_colour_plane_flag (4:4:4 only).
	SeparateColourPlane bool
	// CodedWidth and CodedHeight are pic_width/height_in_luma_samples:
	// the decoded picture before the conformance window.
	CodedWidth, CodedHeight int
	// Width and Height are the picture size after the conformance window:
	// what a player shows.
	Width, Height int
	// BitDepthLuma and BitDepthChroma are the sample bit depths (8..16).
	BitDepthLuma, BitDepthChroma byte
	// ReorderFrames is sps_max_num_reorder_pics of the highest sub-layer:
	// the most pictures that can precede one in decoding order and follow
	// it in output order.
	ReorderFrames int
	// MaxDecPicBuffering is sps_max_dec_pic_buffering_minus1+1 of the
	// highest sub-layer.
	MaxDecPicBuffering int
}

// HEVCProfile is the general part of an HEVC profile_tier_level(): the
// fields an hvcC record repeats in its header.
type HEVCProfile struct {
	// ProfileSpace is general_profile_space (0..3).
	ProfileSpace byte
	// Tier is general_tier_flag: false Main tier, true High tier.
	Tier bool
	// ProfileIDC is general_profile_idc (1 Main, 2 Main 10, 3 Main Still
	// Picture, 4 range extensions, ...).
	ProfileIDC byte
	// CompatibilityFlags is general_profile_compatibility_flag[0..31], bit
	// 31 being flag 0.
	CompatibilityFlags uint32
	// ConstraintFlags holds the 48 bits from general_progressive_source_flag
	// to the end of the reserved/inbld bits, in the low 48 bits.
	ConstraintFlags uint64
	// LevelIDC is general_level_idc: 30 times the level number.
	LevelIDC byte
}

// H.265 NAL unit types this package looks at (H.265 Table 7-1).
const (
	hevcNALIRAPFirst = 16 // BLA_W_LP
	hevcNALIRAPLast  = 21 // CRA_NUT; 22 and 23 are reserved IRAP types
	hevcNALVPS       = 32
	hevcNALSPS       = 33
	hevcNALPPS       = 34
)

// hevcNALType returns nal_unit_type from the first byte of an H.265 NAL
// unit header.
func hevcNALType(b byte) byte { return b >> 1 & 0x3f }

// ParseHEVCSPS decodes an H.265 SPS NAL unit (its two-byte header
// included, no start code or length prefix). It reads as far as the coding
// block sizes, which is past everything it reports, bounds every value it
// loops over or multiplies, and allocates at most one copy of the NAL unit
// (to remove emulation prevention bytes). A truncated or out-of-range SPS
// is an InvalidCodecPrivateData error.
func ParseHEVCSPS(nalu []byte) (HEVCSPS, error) {
	var s HEVCSPS
	if err := checkSPSFrame("HEVC SPS", nalu); err != nil {
		return s, err
	}
	if t := hevcNALType(nalu[0]); t != hevcNALSPS {
		return s, invalidCPD("NAL unit of type %d where an HEVC SPS (type 33) was expected", t)
	}
	// nuh_layer_id: an SPS of a layer above the base one has another
	// syntax (multi-layer extensions), which a single-layer sample entry
	// cannot describe.
	if layer := (nalu[0]&1)<<5 | nalu[1]>>3; layer != 0 {
		return s, invalidCPD("HEVC SPS of layer %d; only the base layer (0) is supported", layer)
	}
	if nalu[1]&7 == 0 {
		return s, invalidCPD("HEVC SPS NAL header has nuh_temporal_id_plus1 = 0")
	}
	r := bitReader{buf: unescapeRBSP(nalu[2:])}

	s.VPSID = r.u(4)
	subMinus1 := int(r.u(3))
	if subMinus1 > 6 {
		return s, invalidCPD("HEVC SPS sps_max_sub_layers_minus1 is 7 (range 0..6)")
	}
	s.MaxSubLayers = byte(subMinus1 + 1)
	s.TemporalIDNesting = r.flag()
	s.PTL = readHEVCPTL(&r, subMinus1)
	if r.over {
		return s, invalidCPD("HEVC SPS truncated in its profile_tier_level")
	}

	s.ID = r.ue()
	if s.ID > 15 {
		return s, invalidCPD("HEVC SPS id %d out of range 0..15", s.ID)
	}
	cf := r.ue()
	if cf > 3 {
		return s, invalidCPD("HEVC SPS chroma_format_idc %d out of range 0..3", cf)
	}
	s.ChromaFormat = byte(cf)
	if cf == 3 {
		s.SeparateColourPlane = r.flag()
	}
	w, h := r.ue(), r.ue()
	var win [4]uint32 // left, right, top, bottom
	if r.flag() {     // conformance_window_flag
		for i := range win {
			win[i] = r.ue()
		}
	}
	bl, bc := r.ue(), r.ue()
	if r.over {
		return s, invalidCPD("HEVC SPS truncated before the end of its picture format fields")
	}
	if bl > 8 || bc > 8 {
		return s, invalidCPD("HEVC SPS bit depth luma %d / chroma %d beyond 16", uint64(bl)+8, uint64(bc)+8)
	}
	s.BitDepthLuma, s.BitDepthChroma = byte(bl+8), byte(bc+8)

	if v := r.ue(); v > 12 { // log2_max_pic_order_cnt_lsb_minus4
		return s, invalidCPD("HEVC SPS log2_max_pic_order_cnt_lsb_minus4 %d out of range 0..12", v)
	}
	first := subMinus1
	if r.flag() { // sps_sub_layer_ordering_info_present_flag
		first = 0
	}
	for i := first; i <= subMinus1; i++ {
		dpb, reorder := r.ue(), r.ue()
		r.ue() // sps_max_latency_increase_plus1
		// MaxDpbSize is at most 16 (H.265 A.4.2), so the minus-one value
		// is at most 15, and reordering cannot exceed the buffer.
		if dpb > 15 || reorder > dpb {
			return s, invalidCPD("HEVC SPS sub-layer %d: max_dec_pic_buffering_minus1 %d / max_num_reorder_pics %d out of range", i, dpb, reorder)
		}
		s.MaxDecPicBuffering, s.ReorderFrames = int(dpb)+1, int(reorder)
	}
	minCb := r.ue() + 3 // log2_min_luma_coding_block_size_minus3 + 3
	diffCb := r.ue()    // log2_diff_max_min_luma_coding_block_size
	if r.over {
		return s, invalidCPD("HEVC SPS truncated before the end of its coding block sizes")
	}
	// CtbLog2SizeY is 4..6 in every profile; MinCbLog2SizeY is 3 or more
	// and not above it.
	if minCb > 6 || uint64(minCb)+uint64(diffCb) > 6 || uint64(minCb)+uint64(diffCb) < 4 {
		return s, invalidCPD("HEVC SPS coding block sizes log2 %d..%d out of range", minCb, uint64(minCb)+uint64(diffCb))
	}

	if w == 0 || h == 0 || w > maxHEVCPictureDimension || h > maxHEVCPictureDimension {
		return s, invalidCPD("HEVC SPS picture %dx%d outside 1..%d per side", w, h, maxHEVCPictureDimension)
	}
	if uint64(w)*uint64(h) > maxHEVCLumaPictureSize {
		return s, invalidCPD("HEVC SPS picture of %d luma samples exceeds the %d of the highest level", uint64(w)*uint64(h), maxHEVCLumaPictureSize)
	}
	if mask := uint32(1)<<minCb - 1; w&mask != 0 || h&mask != 0 {
		return s, invalidCPD("HEVC SPS picture %dx%d is not a multiple of the %d-sample minimum coding block", w, h, mask+1)
	}
	s.CodedWidth, s.CodedHeight = int(w), int(h)

	// The window offsets count chroma samples (H.265 7.4.3.2.1): SubWidthC
	// and SubHeightC from Table 6-1; monochrome, 4:4:4 and separate colour
	// planes use luma units.
	unitX, unitY := uint64(1), uint64(1)
	if !s.SeparateColourPlane {
		switch cf {
		case 1:
			unitX, unitY = 2, 2
		case 2:
			unitX = 2
		}
	}
	// Each offset is below 2^32, so the sums cannot overflow.
	cropW := (uint64(win[0]) + uint64(win[1])) * unitX
	cropH := (uint64(win[2]) + uint64(win[3])) * unitY
	if cropW >= uint64(w) || cropH >= uint64(h) {
		return s, invalidCPD("HEVC SPS conformance window %d+%d x %d+%d leaves nothing of a %dx%d picture",
			uint64(win[0])*unitX, uint64(win[1])*unitX, uint64(win[2])*unitY, uint64(win[3])*unitY, w, h)
	}
	s.Width, s.Height = int(uint64(w)-cropW), int(uint64(h)-cropH)
	return s, nil
}

// readHEVCPTL reads profile_tier_level(1, maxSubLayersMinus1) (H.265
// 7.3.3) and returns its general part; the sub-layer parts are skipped.
// maxSubLayersMinus1 is at most 6, so every read is of a fixed, small size.
func readHEVCPTL(r *bitReader, maxSubLayersMinus1 int) HEVCProfile {
	var p HEVCProfile
	p.ProfileSpace = byte(r.u(2))
	p.Tier = r.flag()
	p.ProfileIDC = byte(r.u(5))
	p.CompatibilityFlags = r.u(32)
	p.ConstraintFlags = uint64(r.u(16))<<32 | uint64(r.u(32))
	p.LevelIDC = byte(r.u(8))
	var profilePresent, levelPresent [6]bool
	for i := 0; i < maxSubLayersMinus1; i++ {
		profilePresent[i] = r.flag()
		levelPresent[i] = r.flag()
	}
	if maxSubLayersMinus1 > 0 {
		r.skip(2 * (8 - maxSubLayersMinus1)) // reserved_zero_2bits
	}
	for i := 0; i < maxSubLayersMinus1; i++ {
		if profilePresent[i] {
			r.skip(88) // profile space, tier, idc, 32 compatibility flags, 48 constraint bits
		}
		if levelPresent[i] {
			r.skip(8)
		}
	}
	return p
}
