package codec

// SPS holds the facts of an H.264 sequence parameter set that a remuxer
// needs: the profile bytes for the avcC record, the picture size for the
// sample entry, and the reorder depth for composition offsets.
type SPS struct {
	// Profile, Compatibility and Level are profile_idc, the constraint flag
	// byte and level_idc.
	Profile, Compatibility, Level byte
	// ID is seq_parameter_set_id (0..31).
	ID uint32
	// ChromaFormat is chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2,
	// 3 4:4:4.
	ChromaFormat byte
	// SeparateColourPlane is separate_colour_plane_flag (4:4:4 only).
	SeparateColourPlane bool
	// BitDepthLuma and BitDepthChroma are the sample bit depths (8..14).
	BitDepthLuma, BitDepthChroma byte
	// POCType is pic_order_cnt_type (0..2).
	POCType byte
	// MaxRefFrames is max_num_ref_frames.
	MaxRefFrames uint32
	// FrameMBsOnly is frame_mbs_only_flag: false when the stream may hold
	// field pictures.
	FrameMBsOnly bool
	// CodedWidth and CodedHeight are the decoded picture size in pixels,
	// before cropping.
	CodedWidth, CodedHeight int
	// Width and Height are the picture size after the frame cropping
	// rectangle is applied: what a player shows.
	Width, Height int
	// ReorderFrames is the most frames that can precede a frame in decoding
	// order and follow it in output order: max_num_reorder_frames from the
	// VUI, or 0 when pic_order_cnt_type is 2 (output order is decoding order
	// then). It is -1 when the SPS does not say.
	ReorderFrames int
}

// highProfile reports whether profile_idc is one whose SPS carries the
// chroma format, bit depth and scaling matrix fields (H.264 7.3.2.1.1).
func highProfile(p byte) bool {
	switch p {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

// checkSPSFrame checks what an H.264 and an H.265 SPS share before their
// fields: a length between 4 bytes (a NAL header and the first fields) and
// maxParameterSetSize, and a clear forbidden_zero_bit. what names the
// parameter set in the error.
func checkSPSFrame(what string, nalu []byte) error {
	if len(nalu) < 4 {
		return invalidCPD("%s of %d bytes is too short (need at least 4)", what, len(nalu))
	}
	if len(nalu) > maxParameterSetSize {
		return invalidCPD("%s of %d bytes exceeds %d", what, len(nalu), maxParameterSetSize)
	}
	if nalu[0]&0x80 != 0 {
		return invalidCPD("%s NAL header %#02x has forbidden_zero_bit set", what, nalu[0])
	}
	return nil
}

// ParseSPS decodes an SPS NAL unit (header byte included, no start code or
// length prefix). It reads only as far as the VUI's bitstream restriction
// fields, bounds every count it loops over, and does not allocate more than
// one copy of the NAL unit. A truncated or inconsistent SPS is an
// InvalidCodecPrivateData error.
func ParseSPS(nalu []byte) (SPS, error) {
	var s SPS
	if err := checkSPSFrame("SPS", nalu); err != nil {
		return s, err
	}
	if t := nalu[0] & 0x1f; t != nalSPS {
		return s, invalidCPD("NAL unit of type %d where an SPS (type 7) was expected", t)
	}
	r := bitReader{buf: unescapeRBSP(nalu[1:])}

	s.Profile = byte(r.u(8))
	s.Compatibility = byte(r.u(8))
	s.Level = byte(r.u(8))
	s.ID = r.ue()
	if s.ID > 31 {
		return s, invalidCPD("SPS id %d out of range 0..31", s.ID)
	}
	s.ChromaFormat = 1
	s.BitDepthLuma, s.BitDepthChroma = 8, 8
	if highProfile(s.Profile) {
		cf := r.ue()
		if cf > 3 {
			return s, invalidCPD("SPS chroma_format_idc %d out of range 0..3", cf)
		}
		s.ChromaFormat = byte(cf)
		if cf == 3 {
			s.SeparateColourPlane = r.flag()
		}
		bl, bc := r.ue(), r.ue()
		if bl > 6 || bc > 6 {
			return s, invalidCPD("SPS bit depth luma %d / chroma %d beyond 14", uint64(bl)+8, uint64(bc)+8)
		}
		s.BitDepthLuma, s.BitDepthChroma = byte(bl+8), byte(bc+8)
		r.skip(1)     // qpprime_y_zero_transform_bypass_flag
		if r.flag() { // seq_scaling_matrix_present_flag
			lists := 8
			if cf == 3 {
				lists = 12
			}
			for i := 0; i < lists && !r.over; i++ {
				if r.flag() {
					size := 16
					if i >= 6 {
						size = 64
					}
					if err := skipScalingList(&r, size); err != nil {
						return s, err
					}
				}
			}
		}
	}
	if r.over {
		return s, invalidCPD("SPS truncated in its profile fields")
	}

	if v := r.ue(); v > 12 { // log2_max_frame_num_minus4
		return s, invalidCPD("SPS log2_max_frame_num_minus4 %d out of range 0..12", v)
	}
	poc := r.ue()
	switch poc {
	case 0:
		if v := r.ue(); v > 12 { // log2_max_pic_order_cnt_lsb_minus4
			return s, invalidCPD("SPS log2_max_pic_order_cnt_lsb_minus4 %d out of range 0..12", v)
		}
	case 1:
		r.skip(1) // delta_pic_order_always_zero_flag
		r.se()    // offset_for_non_ref_pic
		r.se()    // offset_for_top_to_bottom_field
		n := r.ue()
		if n > maxPOCCycle {
			return s, invalidCPD("SPS num_ref_frames_in_pic_order_cnt_cycle %d exceeds %d", n, maxPOCCycle)
		}
		for i := uint32(0); i < n && !r.over; i++ {
			r.se() // offset_for_ref_frame[i]
		}
	case 2:
	default:
		return s, invalidCPD("SPS pic_order_cnt_type %d out of range 0..2", poc)
	}
	s.POCType = byte(poc)
	s.MaxRefFrames = r.ue()
	r.skip(1) // gaps_in_frame_num_value_allowed_flag
	wMBs := uint64(r.ue()) + 1
	hMapUnits := uint64(r.ue()) + 1
	s.FrameMBsOnly = r.flag()
	if !s.FrameMBsOnly {
		r.skip(1) // mb_adaptive_frame_field_flag
	}
	r.skip(1) // direct_8x8_inference_flag
	var cropL, cropR, cropT, cropB uint64
	if r.flag() {
		cropL, cropR, cropT, cropB = uint64(r.ue()), uint64(r.ue()), uint64(r.ue()), uint64(r.ue())
	}
	if r.over {
		return s, invalidCPD("SPS truncated before the end of its picture size fields")
	}

	// Field-coded streams count map units in field pairs: a frame is two of
	// them high.
	hMBs := hMapUnits
	if !s.FrameMBsOnly {
		hMBs *= 2
	}
	if wMBs*16 > maxPictureDimension || hMBs*16 > maxPictureDimension {
		return s, invalidCPD("SPS picture %dx%d macroblocks exceeds the %d-pixel limit", wMBs, hMBs, maxPictureDimension)
	}
	if wMBs*hMBs > maxFrameMacroblocks {
		return s, invalidCPD("SPS picture of %d macroblocks exceeds the %d of the highest level", wMBs*hMBs, maxFrameMacroblocks)
	}
	s.CodedWidth, s.CodedHeight = int(wMBs*16), int(hMBs*16)

	// Crop offsets are in chroma sample units (H.264 7.4.2.1.1, equations
	// 7-19 to 7-22); monochrome and separate colour planes use luma units.
	unitX, unitY := uint64(1), uint64(1)
	if !s.SeparateColourPlane {
		switch s.ChromaFormat {
		case 1:
			unitX, unitY = 2, 2
		case 2:
			unitX = 2
		}
	}
	if !s.FrameMBsOnly {
		unitY *= 2
	}
	// The offsets are at most 2^32-2 each, so the sums cannot overflow
	// uint64 even after the unit multiplication.
	cropW, cropH := (cropL+cropR)*unitX, (cropT+cropB)*unitY
	if cropW >= uint64(s.CodedWidth) || cropH >= uint64(s.CodedHeight) {
		return s, invalidCPD("SPS frame cropping %d+%d x %d+%d leaves nothing of a %dx%d picture",
			cropL*unitX, cropR*unitX, cropT*unitY, cropB*unitY, s.CodedWidth, s.CodedHeight)
	}
	s.Width, s.Height = s.CodedWidth-int(cropW), s.CodedHeight-int(cropH)

	s.ReorderFrames = -1
	if s.POCType == 2 {
		s.ReorderFrames = 0
	}
	if r.flag() { // vui_parameters_present_flag
		// The VUI only refines what we already know. A VUI we cannot read to
		// its end (old encoders write truncated ones) leaves ReorderFrames
		// unknown instead of rejecting a stream that plays everywhere.
		if n, ok := parseVUIReorder(&r); ok {
			s.ReorderFrames = n
		}
	}
	return s, nil
}

// skipScalingList reads past one scaling_list() of the given size. Each delta
// must be within -128..127 (H.264 7.4.2.1.1); the loop is bounded by size.
func skipScalingList(r *bitReader, size int) error {
	last, next := int64(8), int64(8)
	for j := 0; j < size; j++ {
		if next != 0 {
			d := r.se()
			if r.over {
				return invalidCPD("SPS truncated in a scaling list")
			}
			if d < -128 || d > 127 {
				return invalidCPD("SPS scaling list delta %d out of range -128..127", d)
			}
			next = (last + d + 256) % 256
		}
		if next != 0 {
			last = next
		}
	}
	return nil
}

// parseVUIReorder reads the VUI up to max_num_reorder_frames. ok is false
// when the VUI is truncated or holds out-of-range values, or when it does not
// carry bitstream restriction fields.
func parseVUIReorder(r *bitReader) (reorder int, ok bool) {
	if r.flag() { // aspect_ratio_info_present_flag
		if r.u(8) == 255 { // aspect_ratio_idc == Extended_SAR
			r.skip(32) // sar_width, sar_height
		}
	}
	if r.flag() { // overscan_info_present_flag
		r.skip(1)
	}
	if r.flag() { // video_signal_type_present_flag
		r.skip(4) // video_format, video_full_range_flag
		if r.flag() {
			r.skip(24) // colour_primaries, transfer, matrix
		}
	}
	if r.flag() { // chroma_loc_info_present_flag
		r.ue()
		r.ue()
	}
	if r.flag() { // timing_info_present_flag
		r.skip(65) // num_units_in_tick, time_scale, fixed_frame_rate_flag
	}
	nal, vcl := r.flag(), false
	if nal && !skipHRD(r) {
		return 0, false
	}
	vcl = r.flag()
	if vcl && !skipHRD(r) {
		return 0, false
	}
	if nal || vcl {
		r.skip(1) // low_delay_hrd_flag
	}
	r.skip(1)                // pic_struct_present_flag
	if !r.flag() || r.over { // bitstream_restriction_flag
		return 0, false
	}
	r.skip(1) // motion_vectors_over_pic_boundaries_flag
	for i := 0; i < 4; i++ {
		r.ue() // max_bytes_per_pic_denom .. log2_max_mv_length_vertical
	}
	n := r.ue()
	r.ue() // max_dec_frame_buffering
	// 16 is the largest DPB any level allows (H.264 A.3.1), and reordering
	// cannot exceed it.
	if r.over || n > 16 {
		return 0, false
	}
	return int(n), true
}

// skipHRD reads past hrd_parameters(); false when it is out of range.
func skipHRD(r *bitReader) bool {
	n := uint64(r.ue()) + 1 // cpb_cnt_minus1 + 1
	if n > maxCPBCount {
		return false
	}
	r.skip(8) // bit_rate_scale, cpb_size_scale
	for i := uint64(0); i < n && !r.over; i++ {
		r.ue()
		r.ue()
		r.skip(1)
	}
	r.skip(20) // four delay/length fields of 5 bits
	return !r.over
}

// unescapeRBSP returns b with the emulation prevention bytes removed (the 03
// of every 00 00 03). It returns b itself when there are none, so the common
// case copies nothing.
func unescapeRBSP(b []byte) []byte {
	first := -1
	for i := 2; i < len(b); i++ {
		if b[i] == 3 && b[i-1] == 0 && b[i-2] == 0 {
			first = i
			break
		}
	}
	if first < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:first]...)
	zeros := 0
	for i := first + 1; i < len(b); i++ {
		c := b[i]
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// maxDpbMbs is MaxDpbMbs of H.264 Table A-1, by level_idc (9 is level 1b
// as High profiles code it).
var maxDpbMbs = map[byte]int{
	9: 396, 10: 396, 11: 900, 12: 2376, 13: 2376, 20: 2376, 21: 4752, 22: 8100,
	30: 8100, 31: 18000, 32: 20480, 40: 32768, 41: 32768, 42: 34816,
	50: 110400, 51: 184320, 52: 184320, 60: 696320, 61: 696320, 62: 696320,
}

// maxDpbFrames is the most frames any level's decoded picture buffer holds
// (H.264 A.3.1).
const maxDpbFrames = 16

// MaxDpbFrames is the size in frames of the decoded picture buffer that the
// SPS's level allows for its picture size (H.264 A.3.1 item h): how many
// frames a decoder must assume may be reordered when the VUI does not say
// (max_num_reorder_frames is then inferred to be this, E.2.1). An unknown
// level gives the largest, 16.
func (s SPS) MaxDpbFrames() int {
	mbs := (s.CodedWidth / 16) * (s.CodedHeight / 16)
	lim, ok := maxDpbMbs[s.Level]
	if !ok || mbs <= 0 {
		return maxDpbFrames
	}
	return min(max(lim/mbs, 1), maxDpbFrames)
}
