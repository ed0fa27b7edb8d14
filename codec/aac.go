package codec

// AudioSpecificConfig holds the facts of an MPEG-4 AudioSpecificConfig
// (ISO/IEC 14496-3 1.6.2.1) that an MP4 audio sample entry needs.
type AudioSpecificConfig struct {
	// ObjectType is the audio object type of the core coder (2 = AAC-LC).
	ObjectType byte
	// ExtensionObjectType is 5 (SBR) or 29 (PS) when the config signals
	// HE-AAC explicitly, else 0.
	ExtensionObjectType byte
	// SampleRate is the core coder's sampling rate in Hz.
	SampleRate uint32
	// OutputSampleRate is the rate of the decoded output: the SBR extension
	// rate when SBR is signalled explicitly, else SampleRate. Implicit SBR
	// (found only by decoding frames) is not seen here.
	OutputSampleRate uint32
	// ChannelConfig is channelConfiguration; 0 means the layout is in a
	// program config element, which this parser does not read.
	ChannelConfig byte
	// Channels is the number of output channels, 0 when ChannelConfig is 0.
	// Parametric stereo turns a mono core into stereo output.
	Channels uint16
	// FrameLength is the number of output samples (at OutputSampleRate) one
	// access unit decodes to: 1024 or 960, doubled by SBR's upsampling.
	FrameLength uint32
}

// Audio object types this package names.
const (
	aotSBR = 5
	aotPS  = 29
)

// aacRates maps samplingFrequencyIndex to Hz; 13 and 14 are reserved and
// 15 escapes to an explicit 24-bit rate.
var aacRates = [13]uint32{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// aacChannels maps channelConfiguration to a channel count; 0 marks the
// reserved values (8, 9, 10, 15) and "defined in a PCE" (0).
var aacChannels = [16]uint16{0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8, 0}

// ParseAudioSpecificConfig decodes an AudioSpecificConfig. It accepts the
// general-audio object types whose frames hold 1024 or 960 samples (AAC Main,
// LC, SSR, LTP, Scalable, TwinVQ), optionally wrapped in explicit SBR or PS
// signalling; anything else is an InvalidCodecPrivateData error, as is a
// truncated config or a sampling rate outside minAudioSampleRate ..
// maxAudioSampleRate. Bytes after the fields it needs are ignored.
func ParseAudioSpecificConfig(asc []byte) (AudioSpecificConfig, error) {
	var c AudioSpecificConfig
	if len(asc) < 2 {
		return c, invalidCPD("AudioSpecificConfig of %d bytes is too short (need at least 2)", len(asc))
	}
	r := bitReader{buf: asc}
	aot := readAOT(&r)
	rate, err := readAACRate(&r, "")
	if err != nil {
		return c, err
	}
	c.SampleRate = rate
	c.OutputSampleRate = rate
	c.ChannelConfig = byte(r.u(4))
	if aot == aotSBR || aot == aotPS {
		c.ExtensionObjectType = aot
		if c.OutputSampleRate, err = readAACRate(&r, "SBR "); err != nil {
			return c, err
		}
		aot = readAOT(&r)
	}
	c.ObjectType = aot
	switch aot {
	case 1, 2, 3, 4, 6, 7:
	default:
		if r.over {
			return c, invalidCPD("AudioSpecificConfig truncated in its object type")
		}
		return c, invalidCPD("AAC audio object type %d is not supported (want a general audio type: 1, 2, 3, 4, 6, 7, optionally with SBR 5 or PS 29)", aot)
	}
	// GASpecificConfig begins with frameLengthFlag; the rest of it matters
	// only to a decoder.
	frameLen := uint32(1024)
	if r.flag() {
		frameLen = 960
	}
	if r.over {
		return c, invalidCPD("AudioSpecificConfig of %d bytes is truncated", len(asc))
	}
	if c.ChannelConfig != 0 {
		c.Channels = aacChannels[c.ChannelConfig]
		if c.Channels == 0 {
			return c, invalidCPD("AAC channelConfiguration %d is reserved", c.ChannelConfig)
		}
	}
	if c.ExtensionObjectType == aotPS && c.Channels == 1 {
		c.Channels = 2
	}
	switch {
	case c.OutputSampleRate == c.SampleRate:
		c.FrameLength = frameLen
	case c.OutputSampleRate == 2*c.SampleRate:
		c.FrameLength = 2 * frameLen
	default:
		return c, invalidCPD("AAC SBR output rate %d Hz is neither the core rate %d Hz nor twice it", c.OutputSampleRate, c.SampleRate)
	}
	return c, nil
}

// readAOT reads a 5-bit audio object type with its 6-bit escape.
func readAOT(r *bitReader) byte {
	aot := r.u(5)
	if aot == 31 {
		aot = 32 + r.u(6)
	}
	return byte(aot)
}

// readAACRate reads a samplingFrequencyIndex and, for index 15, the explicit
// 24-bit rate, and checks it against the limits.
func readAACRate(r *bitReader, what string) (uint32, error) {
	idx := r.u(4)
	var rate uint32
	switch {
	case idx == 15:
		rate = r.u(24)
	case idx < uint32(len(aacRates)):
		rate = aacRates[idx]
	default:
		return 0, invalidCPD("AAC %ssamplingFrequencyIndex %d is reserved", what, idx)
	}
	if r.over {
		return 0, invalidCPD("AudioSpecificConfig truncated in its %ssampling frequency", what)
	}
	if rate < minAudioSampleRate || rate > maxAudioSampleRate {
		return 0, invalidCPD("AAC %ssampling rate %d Hz is outside %d..%d", what, rate, minAudioSampleRate, maxAudioSampleRate)
	}
	return rate, nil
}
