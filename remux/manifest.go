package remux

import (
	"github.com/kvsclip/kvsclip/kvs"
)

// Manifest says what a clip holds: one entry per input fragment, and the
// output tracks. It is written as JSON by the CLI and the service.
//
// The Clipper fills Fragments (from Add and Skip), Gaps and Tracks. The
// caller, which chose the fragments, sets Truncated and NextStart.
type Manifest struct {
	Fragments []FragmentEntry `json:"fragments"`
	// Truncated is set when fragments were left out because a cap was
	// reached; the rest of the request can be fetched by a next request.
	Truncated bool `json:"truncated"`
	// NextStart is where that next request should start: the timestamp of
	// the first fragment a cap left out. Null when not truncated.
	NextStart *kvs.Millis `json:"next_start"`
	// Gaps lists the holes in the input's timeline between fragments of
	// the clip, in clip order; empty when there are none.
	Gaps   []Gap        `json:"gaps"`
	Tracks []TrackEntry `json:"tracks"`
	// DroppedTracks lists the input tracks a caller left out of the clip
	// (the CLI's --drop-unsupported-audio); omitted when none was.
	DroppedTracks []DroppedTrack `json:"dropped_tracks,omitempty"`
}

// DroppedTrack is an input track left out of a clip, and why.
type DroppedTrack struct {
	// Number is the track's number in the input.
	Number uint64 `json:"number"`
	// CodecID is its Matroska codec ID; Codec names it in words.
	CodecID string `json:"codec_id"`
	Codec   string `json:"codec"`
	Reason  string `json:"reason"`
}

// Gap is a hole in the timeline between two fragments of a clip.
type Gap struct {
	// AfterFragment names the fragment before the gap: its number, or "#N"
	// with its index when it has none.
	AfterFragment string `json:"after_fragment"`
	// At is where the gap begins, in seconds from the start of the clip:
	// the end of AfterFragment's last video sample.
	At float64 `json:"at"`
	// Duration is the gap's length in seconds.
	Duration float64 `json:"duration"`
	// Closed tells whether the clip closed the gap (GapsClose): the
	// fragments after it were moved Duration earlier.
	Closed bool `json:"closed"`
}

// Reasons a fragment is not in the clip, or is only partly.
const (
	// ReasonNoMedia: the fragment has no frames.
	ReasonNoMedia = "no-media"
	// ReasonLeadingNonKey: frames before the first key frame of the clip
	// were dropped, so that the clip starts on a key frame.
	ReasonLeadingNonKey = "leading-non-key-frames"
	// ReasonCutShort: the input ended inside the fragment; its complete
	// frames are in the clip.
	ReasonCutShort = "cut-short"
)

// A caller that chooses fragments records the ones it left out with
// Clipper.Skip and its own reason; the selection of package dedup uses
// "before-start", "after-end", "duplicate", "cap" and "no-timestamp".

// FragmentEntry describes one input fragment.
type FragmentEntry struct {
	// Number is the KVS fragment number; empty for producer files.
	Number string `json:"number"`
	// Index counts the fragments of the input from 0 (across all inputs,
	// when a caller reads several).
	Index int `json:"index"`
	// ProducerTimestamp and ServerTimestamp are epoch seconds with
	// millisecond precision; null when the fragment has no such tag.
	ProducerTimestamp *kvs.Millis `json:"producer_timestamp"`
	ServerTimestamp   *kvs.Millis `json:"server_timestamp"`
	// Bytes is the fragment's size in the input.
	Bytes int64 `json:"bytes"`
	// Included tells whether frames of the fragment are in the clip.
	Included bool `json:"included"`
	// Reason says why the fragment is left out, or what happened to part
	// of it; empty when it is in whole.
	Reason string `json:"reason,omitempty"`
	// DroppedFrames counts frames of the fragment not in the clip.
	DroppedFrames int `json:"dropped_frames,omitempty"`
}

// TrackEntry describes one output track.
type TrackEntry struct {
	ID    uint32 `json:"id"`
	Codec string `json:"codec"`
	// Samples is the number of samples written.
	Samples int `json:"samples"`
	// Duration is the track's length in seconds: from its first decode
	// time to the end of its last sample.
	Duration float64 `json:"duration"`
}

func secondsPtr(ms int64, ok bool) *kvs.Millis {
	if !ok {
		return nil
	}
	s := kvs.Millis(ms)
	return &s
}
