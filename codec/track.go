package codec

// Kind says whether a track is video or audio.
type Kind uint8

// Track kinds.
const (
	Video Kind = iota + 1
	Audio
)

// Track holds the validated facts about one track that an MP4 sample entry
// needs. It is built once per track from the Matroska CodecID and
// CodecPrivate by ParseTrack and is not changed afterwards.
type Track struct {
	Kind Kind
	// SampleEntry is the MP4 sample entry type: "avc1", "hvc1", "hev1", "mp4a",
	// "alaw" or "ulaw".
	SampleEntry string
	// CodecID is the Matroska CodecID the track was built from.
	CodecID string

	// Width and Height are the display size of a video track after
	// cropping, from its SPS.
	Width, Height uint16
	// AVC is the decoder configuration of an H.264 track; nil otherwise.
	AVC *AVCConfig
	// HEVC is the decoder configuration of an H.265 track; nil otherwise.
	HEVC *HEVCConfig

	// SampleRate (Hz) and Channels of an audio track.
	SampleRate uint32
	Channels   uint16
	// FrameLength is the number of PCM samples one coded audio frame holds
	// (1024 or 960 for AAC); 0 when frames vary in length.
	FrameLength uint32
	// AAC is the AudioSpecificConfig of an AAC track; nil otherwise.
	AAC *AACConfig
	// G711 describes an A-law or µ-law track; nil otherwise. Its frames
	// vary in length (FrameLength is 0): G711.FrameSamples gives each
	// one's duration in samples.
	G711 *G711Config
}

// AVCConfig is an H.264 decoder configuration.
type AVCConfig struct {
	// Profile, Compatibility and Level are profile_idc, the constraint
	// flags byte and level_idc of the first SPS.
	Profile, Compatibility, Level byte
	// LengthSize is the size in bytes (1, 2 or 4) of the NAL unit length
	// prefixes of the input frames; 0 when the input frames are Annex-B.
	LengthSize int
	// SPS, PPS and SPSExt are the parameter set NAL units (without length
	// prefixes or start codes).
	SPS, PPS, SPSExt [][]byte
	// Record is the avcC box payload to write into the MP4: reserved bits
	// set, 4-byte NAL lengths (frames are converted to match when the
	// input uses other lengths or Annex-B).
	Record []byte
	// SPSInfo holds the facts decoded from the first SPS: picture size,
	// chroma format, bit depths and reorder depth.
	SPSInfo SPS
}

// AACConfig is an AAC AudioSpecificConfig.
type AACConfig struct {
	// ObjectType is the audio object type (2 = AAC-LC, 5 = SBR, 29 = PS).
	ObjectType byte
	// Config is the AudioSpecificConfig bytes to write into the esds.
	Config []byte
}
