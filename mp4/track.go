package mp4

import (
	"errors"
	"math"

	"github.com/Eyevinn/mp4ff/avc"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
)

// Track describes one output track: its MP4 track ID, the timescale its
// sample durations and decode times are counted in, and the codec facts
// its sample entry is built from.
type Track struct {
	// ID is the track_ID written to tkhd, trex and every tfhd. It must be
	// non-zero (ISO BMFF reserves 0) and unique within the writer.
	ID uint32
	// Timescale is the number of time units per second of the track's
	// media timeline (mdhd). Typical values: 90000 or 1000 for video, the
	// sample rate for audio, so AAC frame durations are exact integers.
	Timescale uint32
	// Codec holds the sample-entry facts of the first (often only) sample
	// description. It is read by NewWriter and not retained beyond
	// building the init segment.
	Codec *codec.Track
	// Alternates are further sample descriptions of the track, written
	// after Codec into the same stsd: Alternates[i] is sample description
	// i+2, which a TrackRun selects with SampleDescriptionIndex when the
	// stream's codec configuration changes (a new SPS, say) from one
	// fragment on. They must be of Codec's kind (video or audio); the
	// track header's picture size is Codec's.
	Alternates []*codec.Track
	// EditMediaTime, when positive, is the media time (in Timescale units)
	// at which presentation starts: an edit list maps it to time 0. A
	// stream with B-frames, whose decode times start at 0, has its first
	// frame presented at its composition offset; the edit list brings that
	// frame to 0, as it was in the input. The edit's segment_duration is 0,
	// which a fragmented file uses for "the whole track", since its length
	// is unknown when the init segment is written. Negative values are
	// rejected.
	EditMediaTime int64
}

// descriptions returns the track's sample descriptions in stsd order.
func (t *Track) descriptions() []*codec.Track {
	return append([]*codec.Track{t.Codec}, t.Alternates...)
}

// maxASCSize is the longest AudioSpecificConfig accepted. mp4ff writes each
// descriptor length of the esds in a single byte (7 bits), and the
// ES_Descriptor around the ASC adds 23 bytes of its own, so 127-23 = 104
// bytes is the most that encodes correctly. Real configurations are 2 to
// about 40 bytes (the longest carry a program_config_element).
const maxASCSize = 104

// validateTracks checks everything NewWriter needs before it builds the
// init segment, so a bad track is reported with its ID instead of as a
// malformed box later.
func validateTracks(tracks []Track) error {
	if len(tracks) == 0 {
		return kvs.Errorf(kvs.InvalidArgument, "no tracks: %w", ErrInvalidTrack)
	}
	for i := range tracks {
		t := &tracks[i]
		if t.ID == 0 {
			return kvs.Errorf(kvs.InvalidArgument, "track %d has ID 0: %w", i, ErrInvalidTrack)
		}
		for j := range i {
			if tracks[j].ID == t.ID {
				return kvs.Errorf(kvs.InvalidArgument, "track ID %d used twice: %w", t.ID, ErrInvalidTrack)
			}
		}
		if t.Timescale == 0 {
			return kvs.Errorf(kvs.InvalidArgument, "track %d has timescale 0: %w", t.ID, ErrInvalidTrack)
		}
		if t.EditMediaTime < 0 {
			return kvs.Errorf(kvs.InvalidArgument, "track %d has a negative edit media time %d: %w", t.ID, t.EditMediaTime, ErrInvalidTrack)
		}
		if len(t.Alternates) >= math.MaxUint32 {
			return kvs.Errorf(kvs.InvalidArgument, "track %d has too many sample descriptions: %w", t.ID, ErrInvalidTrack)
		}
		for j, c := range t.descriptions() {
			if c == nil {
				return kvs.Errorf(kvs.InvalidArgument, "track %d has no codec for sample description %d: %w", t.ID, j+1, ErrInvalidTrack)
			}
			if c.Kind != t.Codec.Kind {
				return kvs.Errorf(kvs.InvalidArgument, "track %d: sample description %d (%s) is not of the kind of the first (%s): %w",
					t.ID, j+1, c.SampleEntry, t.Codec.SampleEntry, ErrInvalidTrack)
			}
			if err := validateCodec(t.ID, c); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateCodec(id uint32, c *codec.Track) error {
	bad := func(what string) error {
		return kvs.Errorf(kvs.InvalidArgument, "track %d (%s): %s: %w", id, c.SampleEntry, what, ErrInvalidTrack)
	}
	switch c.SampleEntry {
	case "avc1":
		if c.Kind != codec.Video {
			return bad("not a video track")
		}
		if c.Width == 0 || c.Height == 0 {
			return bad("no picture size")
		}
		if c.AVC == nil || len(c.AVC.Record) == 0 {
			return bad("no avcC record")
		}
		// The record is written as it is; decoding it here only proves that
		// a player will be able to. The decoder reads lengths and copies
		// parameter sets but does not parse the SPS, so it is safe on
		// untrusted input.
		rec, err := avc.DecodeAVCDecConfRec(c.AVC.Record)
		// mp4ff stops at SPS extensions (High 4:4:4 profiles) with this
		// error, after it has read the parameter sets, which is all that
		// is checked here.
		if err != nil && !errors.Is(err, avc.ErrCannotParseAVCExtension) {
			return bad("avcC record: " + err.Error())
		}
		if len(rec.SPSnalus) == 0 || len(rec.PPSnalus) == 0 {
			return bad("avcC record without SPS or PPS")
		}
	case "hvc1", "hev1":
		if c.Kind != codec.Video {
			return bad("not a video track")
		}
		if c.Width == 0 || c.Height == 0 {
			return bad("no picture size")
		}
		if c.HEVC == nil || len(c.HEVC.Record) == 0 {
			return bad("no hvcC record")
		}
		// The record is written as it is; reading it back with the
		// codec package's bounded parser proves a player can read it and
		// that the sample entry type matches where the parameter sets
		// are.
		rt, err := codec.ParseTrack(codec.CodecIDHEVC, c.HEVC.Record, codec.Hint{PixelWidth: 1, PixelHeight: 1})
		if err != nil {
			return bad("hvcC record: " + err.Error())
		}
		if rt.SampleEntry != c.SampleEntry {
			return bad("hvcC record calls for sample entry " + rt.SampleEntry)
		}
	case "alaw", "ulaw":
		if c.Kind != codec.Audio {
			return bad("not an audio track")
		}
		if c.G711 == nil || c.Channels == 0 || c.SampleRate == 0 {
			return bad("no G.711 configuration, sample rate or channel count")
		}
		if c.SampleRate > 0xFFFF {
			// The sample entry holds the rate in a 16-bit integer part, and
			// nothing else in an alaw/ulaw entry carries it (unlike the
			// AudioSpecificConfig of AAC), so a higher rate cannot be
			// described.
			return kvs.Errorf(kvs.UnsupportedStreamMediaType,
				"track %d: %s at %d Hz does not fit the 16-bit sample rate of an MP4 audio sample entry: %w",
				id, c.SampleEntry, c.SampleRate, ErrUnsupportedCodec)
		}
	case "mp4a":
		if c.Kind != codec.Audio {
			return bad("not an audio track")
		}
		if c.AAC == nil || len(c.AAC.Config) < 2 {
			return bad("no AudioSpecificConfig")
		}
		if len(c.AAC.Config) > maxASCSize {
			return bad("AudioSpecificConfig longer than 104 bytes")
		}
		if c.SampleRate == 0 || c.Channels == 0 {
			return bad("no sample rate or channel count")
		}
	default:
		return kvs.Errorf(kvs.UnsupportedStreamMediaType,
			"track %d: sample entry %q: %w", id, c.SampleEntry, ErrUnsupportedCodec)
	}
	return nil
}
