package codec

// Limits that bound what the parsers accept. Each one is derived from the
// format it guards, so that a value beyond it can only come from a corrupt or
// hostile input, never from a stream a player could show.
const (
	// maxFrameMacroblocks is the largest picture, in 16x16 macroblocks, that
	// any H.264 level allows: MaxFS of level 6.2 (ITU-T H.264 Table A-1).
	maxFrameMacroblocks = 139264

	// maxPictureDimension is the largest coded width or height in pixels.
	// Annex A of H.264 bounds each side by sqrt(8*MaxFS) macroblocks; for
	// level 6.2 that is 1055 macroblocks, 16880 pixels. It is also well under
	// the 65535 that the 16-bit width/height fields of an MP4 sample entry
	// (and Track.Width/Height) can hold.
	maxPictureDimension = 1055 * 16

	// maxHEVCLumaPictureSize is the largest H.265 picture in luma samples:
	// MaxLumaPs of level 6.2, the highest level (ITU-T H.265 Table A.8).
	maxHEVCLumaPictureSize = 35651584

	// maxHEVCPictureDimension is the largest H.265 picture width or height:
	// H.265 A.4.1 bounds each side by sqrt(8*MaxLumaPs), 16888 samples at
	// level 6.2. It fits the 16-bit size fields of a sample entry.
	maxHEVCPictureDimension = 16888

	// maxHEVCArrays bounds numOfArrays of an hvcC record. The field is 8
	// bits; there are 64 NAL unit types, and an array per type is the most
	// a record can meaningfully hold.
	maxHEVCArrays = 64

	// maxG711Channels is the most channels of a G.711 track: the KVS
	// producer SDK writes 1 or 2 (spec 5.1), G.711 is mono telephony audio
	// in origin, and GetClip plays nothing wider.
	maxG711Channels = 2

	// minG711SampleRate and maxG711SampleRate bound nSamplesPerSec of a
	// G.711 WAVEFORMATEX: the range the KVS producer SDK accepts (spec 5.1).
	minG711SampleRate = 8000
	maxG711SampleRate = 192000

	// maxParameterSetSize is the largest SPS, PPS or SPS extension in bytes:
	// an avcC record stores each one behind a 16-bit length, so a larger one
	// could not be written into the MP4 anyway.
	maxParameterSetSize = 0xFFFF

	// maxSPSCount is the most SPS units one decoder configuration can carry:
	// numOfSequenceParameterSets is a 5-bit field of the avcC record.
	maxSPSCount = 31

	// maxPPSCount is the most PPS (and SPS extension) units one decoder
	// configuration can carry: their counts are 8-bit fields of the avcC
	// record.
	maxPPSCount = 255

	// maxPOCCycle bounds num_ref_frames_in_pic_order_cnt_cycle, whose range
	// H.264 section 7.4.2.1.1 fixes at 0..255. Without it a crafted SPS could
	// make the parser loop four billion times.
	maxPOCCycle = 255

	// maxCPBCount bounds cpb_cnt_minus1+1 in HRD parameters (range 0..31 for
	// the minus-one value, H.264 section E.2.2).
	maxCPBCount = 32

	// maxAudioSampleRate is the highest AAC output sampling rate accepted:
	// the top entry of the sampling-frequency index table, which is also the
	// highest rate an SBR decoder produces. Higher values can only arrive
	// through the explicit 24-bit escape, and no AAC decoder runs at them.
	maxAudioSampleRate = 96000

	// minAudioSampleRate is the lowest AAC sampling rate accepted: the bottom
	// entry of the sampling-frequency index table.
	minAudioSampleRate = 7350

	// maxAudioChannels is the most channels accepted for an audio track: the
	// 22.2 layout (24 channels) is the largest that an AAC
	// channelConfiguration value can name.
	maxAudioChannels = 24
)
