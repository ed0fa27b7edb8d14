package clipcmd

import (
	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// trackFilter takes out of each fragment the audio tracks a clip cannot
// carry (--drop-unsupported-audio), so that the video of a camera whose
// audio is Opus, PCM or a second language can still be clipped: each
// header is replaced by one without those tracks, and their blocks are
// removed. It is applied to every fragment as it is read, before the
// selection and the remux see it. Inactive (without the flag), it only
// learns which tracks it would drop, so that an error can point to the
// flag.
type trackFilter struct {
	active bool
	// headers maps each input header to the one the clip sees: itself
	// when nothing is dropped, so header identity — how the clipper tells
	// an unchanged header — is kept.
	headers map[*mkv.Header]*mkv.Header
	drop    map[*mkv.Header]map[uint64]bool
	dropped []remux.DroppedTrack
	seen    map[uint64]bool // track numbers already in dropped
}

func newTrackFilter(active bool) *trackFilter {
	return &trackFilter{active: active, headers: map[*mkv.Header]*mkv.Header{}, drop: map[*mkv.Header]map[uint64]bool{}, seen: map[uint64]bool{}}
}

// apply drops the unsupported audio tracks of f in place. f.Blocks is
// compacted in its own array: the caller owns it until the next read.
func (tf *trackFilter) apply(f *mkv.Fragment) {
	if tf == nil || f.Header == nil {
		return
	}
	h := f.Header
	if _, ok := tf.headers[h]; !ok {
		tf.learn(h)
	}
	drop := tf.drop[h]
	if !tf.active || len(drop) == 0 {
		return
	}
	f.Header = tf.headers[h]
	kept := f.Blocks[:0]
	for _, b := range f.Blocks {
		if !drop[b.Track] {
			kept = append(kept, b)
		}
	}
	f.Blocks = kept
}

// learn decides which audio tracks of h to drop: those whose codec the
// clip cannot carry, and any beyond the first it can (an MP4 clip has one
// audio track).
func (tf *trackFilter) learn(h *mkv.Header) {
	drop := map[uint64]bool{}
	var keep []mkv.Track
	audio := 0
	for _, t := range h.Tracks {
		if t.Type != mkv.TrackTypeAudio {
			keep = append(keep, t)
			continue
		}
		reason := ""
		hint := codec.Hint{SamplingFrequency: t.SamplingFrequency, Channels: t.Channels, BitDepth: t.BitDepth}
		if _, err := codec.ParseTrack(t.CodecID, t.CodecPrivate, hint); kvs.KindOf(err) == kvs.UnsupportedStreamMediaType {
			reason = "unsupported codec"
		} else if audio > 0 {
			reason = "a clip has one audio track"
		}
		if reason == "" {
			audio++
			keep = append(keep, t)
			continue
		}
		drop[t.Number] = true
		if !tf.seen[t.Number] {
			tf.seen[t.Number] = true
			tf.dropped = append(tf.dropped, remux.DroppedTrack{
				Number: t.Number, CodecID: t.CodecID, Codec: codec.Name(t.CodecID, t.CodecPrivate), Reason: reason,
			})
		}
	}
	tf.drop[h] = drop
	if len(drop) == 0 {
		tf.headers[h] = h
		return
	}
	nh := *h
	nh.Tracks = keep
	tf.headers[h] = &nh
}
