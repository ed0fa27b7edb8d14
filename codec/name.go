package codec

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// codecNames are the words for the Matroska codec IDs a KVS user may meet,
// supported or not: errors and `kvsclip inspect` name a codec by them, with
// the ID beside.
var codecNames = map[string]string{
	CodecIDAVC:         "H.264",
	CodecIDAVCDoc:      "H.264",
	CodecIDHEVC:        "H.265",
	CodecIDHEVCDoc:     "H.265",
	CodecIDAAC:         "AAC",
	"V_VP8":            "VP8",
	"V_VP9":            "VP9",
	"V_AV1":            "AV1",
	"V_MJPEG":          "Motion JPEG",
	"V_MPEG1":          "MPEG-1 video",
	"V_MPEG2":          "MPEG-2 video",
	"V_MPEG4/ISO/ASP":  "MPEG-4 Part 2 video",
	"V_MS/VFW/FOURCC":  "Video for Windows video",
	"V_UNCOMPRESSED":   "uncompressed video",
	"A_OPUS":           "Opus",
	"A_VORBIS":         "Vorbis",
	"A_FLAC":           "FLAC",
	"A_MPEG/L3":        "MP3",
	"A_MPEG/L2":        "MPEG audio layer II",
	"A_AC3":            "AC-3",
	"A_EAC3":           "E-AC-3",
	"A_DTS":            "DTS",
	"A_ALAC":           "ALAC",
	"A_PCM/INT/LIT":    "PCM",
	"A_PCM/INT/BIG":    "PCM (big-endian)",
	"A_PCM/FLOAT/IEEE": "PCM (float)",
	"S_TEXT/UTF8":      "subtitles (text)",
	"S_TEXT/WEBVTT":    "subtitles (WebVTT)",
}

// waveFormatNames are the words for the WAVEFORMATEX format tags an
// A_MS/ACM track may carry.
var waveFormatNames = map[uint16]string{
	0x0001:          "PCM",
	0x0002:          "Microsoft ADPCM",
	0x0003:          "PCM (float)",
	WaveFormatALaw:  "G.711 A-law",
	WaveFormatMuLaw: "G.711 µ-law",
	0x0011:          "IMA ADPCM",
	0x0050:          "MPEG audio",
	0x0055:          "MP3",
	0x00ff:          "AAC",
	0x2000:          "AC-3",
	0xfffe:          "WAVEFORMATEXTENSIBLE audio",
}

// Name names the codec of a Matroska track in words with its ID beside:
// "H.264 (V_MPEG4/ISO/AVC)", "G.711 A-law (A_MS/ACM, format tag 6)",
// "Opus (A_OPUS)". private is the track's CodecPrivate: for A_MS/ACM the
// format tag it carries says which codec it is. An ID it does not know is
// given alone.
func Name(codecID string, private []byte) string {
	if codecID == CodecIDACM {
		if len(private) < 2 {
			return "audio described by WAVEFORMATEX (A_MS/ACM, no format tag)"
		}
		tag := binary.LittleEndian.Uint16(private)
		if name, ok := waveFormatNames[tag]; ok {
			return fmt.Sprintf("%s (A_MS/ACM, format tag %d)", name, tag)
		}
		return fmt.Sprintf("audio of WAVEFORMATEX format tag %#04x (A_MS/ACM)", tag)
	}
	name, ok := codecNames[codecID]
	if !ok && strings.HasPrefix(codecID, CodecIDAAC+"/") {
		name, ok = "AAC", true
	}
	if !ok {
		return codecID
	}
	return name + " (" + codecID + ")"
}

// Name names the track's codec as the package's Name does.
func (t *Track) Name() string {
	if t.G711 != nil {
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], t.G711.FormatTag)
		return Name(t.CodecID, b[:])
	}
	return Name(t.CodecID, nil)
}
