package playback

import "github.com/kvsclip/kvsclip/kvs"

// Segment is one media segment of a playlist or manifest: one KVS
// fragment.
type Segment struct {
	// Fragment is the segment's fragment: its number, its start on the
	// media timeline (ProducerMillis, producer time), its length
	// (DurationMillis), and its size (Size, for bandwidth estimates).
	kvs.Fragment
	// Seq is the segment's sequence number in the session: consecutive,
	// and the same for a fragment at every refresh.
	Seq int64
	// Start is the fragment's start timestamp of the session's selector,
	// in ms since the epoch.
	Start int64
	// Discontinuity marks a discontinuity before the segment.
	Discontinuity bool
	// URI is the segment's URL and InitURI that of its initialization
	// segment (fMP4 only).
	URI, InitURI string
}

// Window is the segments a playlist or manifest shows, with the counters
// that place them in the session.
type Window struct {
	Segments []Segment
	// Discontinuities counts the discontinuities before the first segment
	// of the window (EXT-X-DISCONTINUITY-SEQUENCE).
	Discontinuities int64
	// Ended tells that no segment will be added: ON_DEMAND, or a
	// LIVE_REPLAY whose range has been played out.
	Ended bool
	// Origin is the producer timestamp (ms) of the session's first
	// fragment, the zero of its timeline.
	Origin int64
	// OriginClock is when that zero is on the server's clock (ms since
	// the epoch), for a dynamic MPD's availabilityStartTime: for LIVE,
	// Origin moved by the producer clock's lead or lag on the server's;
	// for a LIVE_REPLAY, the session's start, from which its fragments are
	// paced; Origin itself otherwise.
	OriginClock int64
}

// BoundaryGapMillis is the gap or overlap between two fragments beyond
// which ON_DISCONTINUITY marks a discontinuity, as the API documents it.
const BoundaryGapMillis = 50

// Discontinuous reports whether DiscontinuityMode mode puts a marker
// between prev and next, from their media times and durations.
func Discontinuous(mode kvs.DiscontinuityMode, prev, next *Segment) bool {
	switch mode {
	case kvs.DiscontinuityAlways:
		return true
	case kvs.OnDiscontinuity:
		d := next.ProducerMillis - (prev.ProducerMillis + prev.DurationMillis)
		return d > BoundaryGapMillis || d < -BoundaryGapMillis
	}
	return false
}
