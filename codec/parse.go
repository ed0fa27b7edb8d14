package codec

import (
	"strings"

	"github.com/kvsclip/kvsclip/kvs"
)

// Hint carries what the Matroska TrackEntry declares besides CodecPrivate.
// The codec bytes are authoritative; a hint only fills a gap they leave
// (such as the channel count of an AAC config that defers it to a program
// config element). A hint that disagrees with the codec bytes is not an
// error: muxers often write display or rounded values there.
type Hint struct {
	// PixelWidth and PixelHeight are Video/PixelWidth and PixelHeight.
	PixelWidth, PixelHeight uint64
	// SamplingFrequency is Audio/SamplingFrequency in Hz.
	SamplingFrequency float64
	// Channels is Audio/Channels.
	Channels uint64
	// BitDepth is Audio/BitDepth.
	BitDepth uint64
}

// Matroska codec IDs handled here.
const (
	// CodecIDAVC is the Matroska ID of H.264 in ISO form, the one KVS, the
	// producer SDKs and every real file use.
	CodecIDAVC = "V_MPEG4/ISO/AVC"
	// CodecIDAVCDoc is the spelling of the H.264 ID found on some KVS
	// documentation pages; accepted as the same codec.
	CodecIDAVCDoc = "V_MPEG/ISO/AVC"
	// CodecIDAAC is the Matroska ID of AAC with an AudioSpecificConfig.
	CodecIDAAC = "A_AAC"
)

// ParseTrack validates a track's Matroska CodecID and CodecPrivate and
// returns the facts an MP4 sample entry needs. The returned Track does not
// alias private.
//
// Errors are *kvs.Error values without location: UnsupportedStreamMediaType
// for a codec a clip cannot carry, MissingCodecPrivateData for an empty
// CodecPrivate, InvalidCodecPrivateData for one that cannot be used.
func ParseTrack(codecID string, private []byte, hint Hint) (*Track, error) {
	// One switch names every codec; a new codec (H.265, G.711) adds a case
	// and a file with its parser.
	switch {
	case codecID == CodecIDAVC || codecID == CodecIDAVCDoc:
		return parseAVCTrack(codecID, private)
	case codecID == CodecIDHEVC || codecID == CodecIDHEVCDoc:
		return parseHEVCTrack(codecID, private, hint)
	case codecID == CodecIDACM:
		return parseG711Track(codecID, private)
	case codecID == CodecIDAAC || strings.HasPrefix(codecID, CodecIDAAC+"/"):
		// The legacy A_AAC/MPEG2/..., A_AAC/MPEG4/... IDs name the profile
		// in the ID; when they come with a config it says the same.
		return parseAACTrack(codecID, private, hint)
	}
	return nil, kvs.Errorf(kvs.UnsupportedStreamMediaType, "%s is not supported (want %s, %s, %s or G.711 A-law or µ-law (%s))",
		Name(codecID, private), Name(CodecIDAVC, nil), Name(CodecIDHEVC, nil), Name(CodecIDAAC, nil), CodecIDACM)
}

func missing(codecID string) error {
	return kvs.Errorf(kvs.MissingCodecPrivateData, "track with codec %s has no CodecPrivate", codecID)
}

// parseAVCTrack accepts an avcC record or, as producers without NAL
// adaptation send it, Annex-B parameter sets.
func parseAVCTrack(codecID string, private []byte) (*Track, error) {
	if len(private) == 0 {
		return nil, missing(codecID)
	}
	var cfg *AVCConfig
	var err error
	if isAnnexB(private) {
		cfg, err = avcFromAnnexB(private)
	} else {
		cfg, err = avcFromRecord(private)
	}
	if err != nil {
		return nil, err
	}
	return &Track{
		Kind:        Video,
		SampleEntry: "avc1",
		CodecID:     codecID,
		Width:       uint16(cfg.SPSInfo.Width),
		Height:      uint16(cfg.SPSInfo.Height),
		AVC:         cfg,
	}, nil
}

// parseHEVCTrack accepts an hvcC record or Annex-B parameter sets. A
// record without an SPS leaves the picture size to the hint (Matroska
// PixelWidth/PixelHeight), since nothing else states it before the frames.
func parseHEVCTrack(codecID string, private []byte, hint Hint) (*Track, error) {
	if len(private) == 0 {
		return nil, missing(codecID)
	}
	var cfg *HEVCConfig
	var err error
	if isAnnexB(private) {
		cfg, err = hevcFromAnnexB(private)
	} else {
		cfg, err = hevcFromRecord(private)
	}
	if err != nil {
		return nil, err
	}
	t := &Track{
		Kind:        Video,
		SampleEntry: cfg.sampleEntry(),
		CodecID:     codecID,
		Width:       uint16(cfg.SPSInfo.Width),
		Height:      uint16(cfg.SPSInfo.Height),
		HEVC:        cfg,
	}
	if len(cfg.SPS) == 0 && hint.PixelWidth <= maxHEVCPictureDimension && hint.PixelHeight <= maxHEVCPictureDimension {
		t.Width, t.Height = uint16(hint.PixelWidth), uint16(hint.PixelHeight)
	}
	return t, nil
}

func avcFromRecord(rec []byte) (*AVCConfig, error) {
	sps, pps, ext, ls, err := parseAVCC(rec)
	if err != nil {
		return nil, err
	}
	if err := crossCheckAVCC(rec, ls, sps, pps, ext); err != nil {
		return nil, err
	}
	cfg, err := NewAVCConfig(sps, pps, ext)
	if err != nil {
		return nil, err
	}
	cfg.LengthSize = ls
	return cfg, nil
}

// avcFromAnnexB collects the parameter sets of an Annex-B CodecPrivate.
// Other NAL units (AUD, SEI) are ignored. Frames of such a track are
// expected in Annex-B form too, so LengthSize is 0.
func avcFromAnnexB(b []byte) (*AVCConfig, error) {
	var sps, pps, ext [][]byte
	it := newAnnexBIter(b)
	for nal := it.next(); nal != nil; nal = it.next() {
		switch nal[0] & 0x1f {
		case nalSPS:
			sps = append(sps, nal)
		case nalPPS:
			pps = append(pps, nal)
		case nalSPSExt:
			ext = append(ext, nal)
		}
	}
	if len(sps) == 0 || len(pps) == 0 {
		return nil, invalidCPD("Annex-B CodecPrivate holds %d SPS and %d PPS; need at least one of each", len(sps), len(pps))
	}
	cfg, err := NewAVCConfig(sps, pps, ext)
	if err != nil {
		return nil, err
	}
	cfg.LengthSize = 0
	return cfg, nil
}

func parseAACTrack(codecID string, private []byte, hint Hint) (*Track, error) {
	if len(private) == 0 {
		// Synthesizing a config from the hint would guess the object type;
		// KVS reports the track as missing its CPD instead.
		return nil, missing(codecID)
	}
	asc, err := ParseAudioSpecificConfig(private)
	if err != nil {
		return nil, err
	}
	ch := asc.Channels
	if ch == 0 {
		if hint.Channels == 0 || hint.Channels > maxAudioChannels {
			return nil, invalidCPD("AAC channelConfiguration 0 defers the layout to a program config element, and the track declares %d channels (want 1..%d)", hint.Channels, maxAudioChannels)
		}
		ch = uint16(hint.Channels)
	}
	first := asc.ObjectType
	if asc.ExtensionObjectType != 0 {
		first = asc.ExtensionObjectType
	}
	return &Track{
		Kind:        Audio,
		SampleEntry: "mp4a",
		CodecID:     codecID,
		SampleRate:  asc.OutputSampleRate,
		Channels:    ch,
		FrameLength: asc.FrameLength,
		AAC: &AACConfig{
			ObjectType: first,
			Config:     append([]byte(nil), private...),
		},
	}, nil
}
