package mp4

import (
	"errors"

	"github.com/Eyevinn/mp4ff/avc"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvserr"
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
	// Codec holds the sample-entry facts. It is read by NewWriter and not
	// retained beyond building the init segment.
	Codec *codec.Track
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
		return kvserr.Errorf(kvserr.InvalidArgument, "no tracks: %w", ErrInvalidTrack)
	}
	for i := range tracks {
		t := &tracks[i]
		if t.ID == 0 {
			return kvserr.Errorf(kvserr.InvalidArgument, "track %d has ID 0: %w", i, ErrInvalidTrack)
		}
		for j := range i {
			if tracks[j].ID == t.ID {
				return kvserr.Errorf(kvserr.InvalidArgument, "track ID %d used twice: %w", t.ID, ErrInvalidTrack)
			}
		}
		if t.Timescale == 0 {
			return kvserr.Errorf(kvserr.InvalidArgument, "track %d has timescale 0: %w", t.ID, ErrInvalidTrack)
		}
		if t.Codec == nil {
			return kvserr.Errorf(kvserr.InvalidArgument, "track %d has no codec: %w", t.ID, ErrInvalidTrack)
		}
		if err := validateCodec(t); err != nil {
			return err
		}
	}
	return nil
}

func validateCodec(t *Track) error {
	c := t.Codec
	bad := func(what string) error {
		return kvserr.Errorf(kvserr.InvalidArgument, "track %d (%s): %s: %w", t.ID, c.Codec, what, ErrInvalidTrack)
	}
	switch c.Codec {
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
		return kvserr.Errorf(kvserr.UnsupportedStreamMediaType,
			"track %d: sample entry %q: %w", t.ID, c.Codec, ErrUnsupportedCodec)
	}
	return nil
}
