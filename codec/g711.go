package codec

import (
	"encoding/binary"

	"github.com/kvsclip/kvsclip/kvs"
)

// CodecIDACM is the Matroska ID of audio described by a Windows
// WAVEFORMATEX, which is how KVS carries G.711.
const CodecIDACM = "A_MS/ACM"

// WAVEFORMATEX format tags of G.711.
const (
	WaveFormatALaw  = 6
	WaveFormatMuLaw = 7
)

// waveFormatEx is a decoded WAVEFORMATEX (little-endian; 18 bytes and
// cbSize extra bytes, or the 16-byte WAVEFORMAT/PCMWAVEFORMAT form without
// cbSize).
type waveFormatEx struct {
	FormatTag      uint16
	Channels       uint16
	SamplesPerSec  uint32
	AvgBytesPerSec uint32
	BlockAlign     uint16
	BitsPerSample  uint16
	// Extra is the cbSize bytes after the structure, a sub-slice of the
	// input.
	Extra []byte
}

// parseWaveFormatEx decodes the fields of a WAVEFORMATEX without judging
// them; only its length and cbSize are checked (InvalidCodecPrivateData).
// Bytes after the cbSize extra bytes are ignored.
func parseWaveFormatEx(b []byte) (waveFormatEx, error) {
	var w waveFormatEx
	if len(b) < 16 || len(b) == 17 {
		return w, invalidCPD("WAVEFORMATEX of %d bytes (want 16, or 18 and more)", len(b))
	}
	le := binary.LittleEndian
	w.FormatTag = le.Uint16(b)
	w.Channels = le.Uint16(b[2:])
	w.SamplesPerSec = le.Uint32(b[4:])
	w.AvgBytesPerSec = le.Uint32(b[8:])
	w.BlockAlign = le.Uint16(b[12:])
	w.BitsPerSample = le.Uint16(b[14:])
	if len(b) >= 18 {
		cb := int(le.Uint16(b[16:]))
		if cb > len(b)-18 {
			return w, invalidCPD("WAVEFORMATEX cbSize %d exceeds the %d bytes after it", cb, len(b)-18)
		}
		w.Extra = b[18 : 18+cb]
	}
	return w, nil
}

// G711Config describes a G.711 track: 8-bit A-law or µ-law samples,
// channels interleaved, so a frame of n bytes holds n/Channels samples.
type G711Config struct {
	// FormatTag is WaveFormatALaw or WaveFormatMuLaw.
	FormatTag uint16
	// Channels repeats Track.Channels: the bytes of one sample instant.
	Channels uint16
}

// FrameSamples returns the number of samples (per channel) in a frame of
// G.711 data: its length divided by the channel count. An empty frame, or
// one that does not hold a whole number of sample instants, is an
// InvalidMediaFrame error.
func (c *G711Config) FrameSamples(frame []byte) (uint32, error) {
	return c.SamplesIn(len(frame))
}

// SamplesIn is FrameSamples for a frame of size bytes: G.711 frames are
// counted from their length alone, so a planner knows them from an index
// without reading them.
func (c *G711Config) SamplesIn(size int) (uint32, error) {
	ch := int(c.Channels)
	if ch == 0 {
		ch = 1
	}
	if size == 0 {
		return 0, invalidFrame("empty G.711 frame")
	}
	if size%ch != 0 || size/ch > 0xFFFFFFFF {
		return 0, invalidFrame("G.711 frame of %d bytes is not a whole number of %d-channel samples", size, ch)
	}
	return uint32(size / ch), nil
}

// parseG711Track accepts a WAVEFORMATEX with the G.711 A-law or µ-law tag.
//
// The KVS producer SDK writes avgBytesPerSec as channels*rate/8 and
// bitsPerSample as 0 (spec 5.1), so neither is checked: G.711 samples are 8
// bits whatever they say. nBlockAlign may be 0 (unset, like the fields the
// SDK leaves out) or equal to the channel count (one byte per channel); any
// other value describes a sample layout that is not G.711 and is refused.
func parseG711Track(codecID string, private []byte) (*Track, error) {
	if len(private) == 0 {
		return nil, missing(codecID)
	}
	w, err := parseWaveFormatEx(private)
	if err != nil {
		return nil, err
	}
	var name string
	switch w.FormatTag {
	case WaveFormatALaw:
		name = "alaw"
	case WaveFormatMuLaw:
		name = "ulaw"
	default:
		return nil, kvs.Errorf(kvs.UnsupportedStreamMediaType,
			"%s is not supported (want G.711 A-law, format tag 6, or µ-law, format tag 7)", Name(codecID, private))
	}
	if w.Channels == 0 || w.Channels > maxG711Channels {
		return nil, invalidCPD("G.711 WAVEFORMATEX declares %d channels (want 1..%d)", w.Channels, maxG711Channels)
	}
	if w.SamplesPerSec < minG711SampleRate || w.SamplesPerSec > maxG711SampleRate {
		return nil, invalidCPD("G.711 sampling rate %d Hz is outside %d..%d", w.SamplesPerSec, minG711SampleRate, maxG711SampleRate)
	}
	if w.BlockAlign != 0 && w.BlockAlign != w.Channels {
		return nil, invalidCPD("G.711 WAVEFORMATEX nBlockAlign %d is neither 0 nor the channel count %d", w.BlockAlign, w.Channels)
	}
	return &Track{
		Kind:        Audio,
		SampleEntry: name,
		CodecID:     codecID,
		SampleRate:  w.SamplesPerSec,
		Channels:    w.Channels,
		G711:        &G711Config{FormatTag: w.FormatTag, Channels: w.Channels},
	}, nil
}
