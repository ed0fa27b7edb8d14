package mkv

import (
	"bytes"
	"math"
)

// defaultTimecodeScale is Matroska's default: timecodes in milliseconds.
const defaultTimecodeScale = 1_000_000

// maxStringSize bounds names, codec IDs and apps in the header; they are
// short identifiers, and the bound keeps a hostile header from costing more
// than MaxHeaderElementSize in strings.
const maxStringSize = 4096

// headerCache remembers the last header built and the bytes it came from, so
// that the same Info and Tracks repeated in every GetMedia document cost a
// comparison instead of a parse and an allocation.
type headerCache struct {
	info, tracks []byte // owned copies
	header       *Header
}

// build returns the Header for the given Info and Tracks bodies (info may be
// nil: Matroska defaults apply). The bodies are only read, never kept.
func (c *headerCache) build(info, tracks []byte, infoOff, tracksOff int64) (*Header, error) {
	if c.header != nil && bytes.Equal(info, c.info) && bytes.Equal(tracks, c.tracks) {
		return c.header, nil
	}
	h := &Header{TimecodeScale: defaultTimecodeScale}
	if err := parseInfo(h, info, infoOff); err != nil {
		return nil, err
	}
	if err := parseTracks(h, tracks, tracksOff); err != nil {
		return nil, err
	}
	c.info = append(c.info[:0:0], info...)
	c.tracks = append(c.tracks[:0:0], tracks...)
	c.header = h
	return h, nil
}

func parseInfo(h *Header, body []byte, off int64) error {
	return children(body, off, "Info", func(id uint32, data []byte, off int64) error {
		switch id {
		case idTimecodeScale:
			v, ok := readUint(data)
			if !ok || v == 0 || v > MaxTimecodeScale {
				return newError(off, "TimecodeScale", ErrMalformed, "value out of range 1..%d", MaxTimecodeScale)
			}
			h.TimecodeScale = v
		case idMuxingApp:
			h.MuxingApp = boundedString(data)
		case idWritingApp:
			h.WritingApp = boundedString(data)
		case idTitle:
			h.Title = boundedString(data)
		}
		return nil
	})
}

func boundedString(b []byte) string {
	if len(b) > maxStringSize {
		b = b[:maxStringSize]
	}
	return readString(b)
}

func parseTracks(h *Header, body []byte, off int64) error {
	return children(body, off, "Tracks", func(id uint32, data []byte, off int64) error {
		if id != idTrackEntry {
			return nil
		}
		if len(h.Tracks) >= MaxTracks {
			return newError(off, "Tracks", ErrTooLarge, "more than %d tracks", MaxTracks)
		}
		t, err := parseTrackEntry(data, off)
		if err != nil {
			return err
		}
		if h.Track(t.Number) != nil {
			return newError(off, "TrackEntry", ErrMalformed, "track number %d declared twice", t.Number)
		}
		h.Tracks = append(h.Tracks, t)
		return nil
	})
}

func parseTrackEntry(body []byte, off int64) (Track, error) {
	var t Track
	uintField := func(name string, data []byte, off int64) (uint64, error) {
		v, ok := readUint(data)
		if !ok {
			return 0, newError(off, name, ErrMalformed, "integer longer than 8 bytes")
		}
		return v, nil
	}
	err := children(body, off, "TrackEntry", func(id uint32, data []byte, off int64) error {
		var err error
		switch id {
		case idTrackNumber:
			t.Number, err = uintField("TrackNumber", data, off)
		case idTrackUID:
			t.UID, err = uintField("TrackUID", data, off)
		case idTrackType:
			var v uint64
			v, err = uintField("TrackType", data, off)
			if v > 255 {
				return newError(off, "TrackType", ErrMalformed, "value %d", v)
			}
			t.Type = TrackType(v)
		case idName:
			t.Name = boundedString(data)
		case idCodecID:
			t.CodecID = boundedString(data)
		case idCodecPrivate:
			t.CodecPrivate = append([]byte(nil), data...)
		case idDefaultDuration:
			t.DefaultDuration, err = uintField("DefaultDuration", data, off)
		case idContentEncodings:
			return newError(off, "ContentEncodings", ErrUnsupported, "compressed or encrypted tracks")
		case idVideo:
			err = children(data, off, "Video", func(id uint32, data []byte, off int64) error {
				var err error
				switch id {
				case idPixelWidth:
					t.PixelWidth, err = uintField("PixelWidth", data, off)
				case idPixelHeight:
					t.PixelHeight, err = uintField("PixelHeight", data, off)
				}
				return err
			})
		case idAudio:
			err = children(data, off, "Audio", func(id uint32, data []byte, off int64) error {
				var err error
				switch id {
				case idSamplingFreq:
					f, ok := readFloat(data)
					if !ok || math.IsNaN(f) || f < 0 || f > 1e7 {
						return newError(off, "SamplingFrequency", ErrMalformed, "invalid value")
					}
					t.SamplingFrequency = f
				case idChannels:
					t.Channels, err = uintField("Channels", data, off)
				case idBitDepth:
					t.BitDepth, err = uintField("BitDepth", data, off)
				}
				return err
			})
		}
		return err
	})
	if err != nil {
		return t, err
	}
	if t.Number == 0 || t.Number > maxTrackNumber {
		return t, newError(off, "TrackNumber", ErrMalformed, "track number %d out of range 1..%d", t.Number, maxTrackNumber)
	}
	return t, nil
}
