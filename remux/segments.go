package remux

import (
	"context"
	"errors"
	"io"
	"math"
	"sort"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mp4"
)

// A planned fMP4 is also the segments a segmented player (HLS with fMP4,
// DASH) fetches one at a time: the init segment, then one media segment
// per fragment, each its moof and mdat. Segments cuts them from the plan
// rather than from the clip's bytes: every box is encoded for the segment,
// on its own time line and with the tracks it keeps, and the payloads are
// read as a write of the clip reads them.

// SegmentOptions says how Segments cuts a planned clip.
type SegmentOptions struct {
	// Origin is the instant that decode time 0 of the segments stands
	// for, in ns on the input's time line: the one fragments are placed
	// on, by their producer timestamps (ns since the Unix epoch for KVS
	// fragments), else their Cluster times. The zero value counts from
	// that time line's 0, so segments cut from different plans of one
	// stream line up; PlannedClip.Origin keeps the clip's own times. A
	// decode time is rounded to the nearest unit of its track.
	Origin int64
	// Track, when not 0, keeps the track of that ID alone (a DASH
	// representation, an HLS rendition of one track): the init segment
	// describes it only, and a media segment holds its samples only, in
	// an mdat of its own.
	Track uint32
	// NoDuration leaves the clip's duration (mehd) out of the init
	// segment, for a player that gets it elsewhere (a playlist, a
	// manifest) or a session that goes on past this plan: a segment cut
	// from the plan of one fragment would otherwise say that the whole
	// presentation lasts as long as that fragment.
	NoDuration bool
}

// Errors of Segments and its methods, each wrapped in a *kvs.Error.
var (
	// ErrNotFragmented: a progressive clip (FormatMP4) has no segments.
	ErrNotFragmented = errors.New("remux: a progressive clip has no segments")
	// ErrNoTrack: SegmentOptions.Track names no track of the clip's init
	// segment (one without samples has none).
	ErrNoTrack = errors.New("remux: no such track in the clip")
	// ErrNoSegment: the fragment asked for has no media segment — it
	// is not in the clip, or has no sample of the track kept.
	ErrNoSegment = errors.New("remux: the fragment has no media segment")
	// ErrBeforeOrigin: SegmentOptions.Origin lies after the clip's first
	// decode time, which the segments cannot count back to.
	ErrBeforeOrigin = errors.New("remux: the clip starts before the segments' origin")
)

// Segments is a planned fMP4 clip cut into segments as SegmentOptions
// says: the init segment, made at once, and a media segment for each
// fragment of the clip, each written on its own with its payloads read
// from a Payloads, as WriteRange reads them. Like the PlannedClip,
// it does not change once made and can be written from several goroutines
// at once.
type Segments struct {
	pc   *PlannedClip
	init []byte
	// only is the clip track kept, or allTracks; shift[i] is what the
	// segments add to track i's decode times, in its units.
	only  int
	shift []int64
}

// Origin returns where the clip's time 0 lies on the input's time line,
// in ns: its first fragment's start, or an earlier frame of it (audio
// that begins before the first video key frame). Segments cut with it as
// SegmentOptions.Origin carry the clip's own decode times.
func (pc *PlannedClip) Origin() int64 { return pc.origin }

// Segments cuts the clip into segments as opts says (nil: every track,
// decode times from the input time line's 0, the clip's duration in the
// init segment). It fails with the planning error, or a *kvs.Error that
// wraps ErrNotFragmented, ErrNoTrack or ErrBeforeOrigin.
func (pc *PlannedClip) Segments(opts *SegmentOptions) (*Segments, error) {
	if pc.err != nil {
		return nil, pc.err
	}
	var o SegmentOptions
	if opts != nil {
		o = *opts
	}
	if pc.format == FormatMP4 {
		return nil, kvs.Errorf(kvs.InvalidArgument, "segments of a clip: %w", ErrNotFragmented)
	}
	s := &Segments{pc: pc, only: allTracks, shift: make([]int64, len(pc.mtracks))}
	tracks := pc.initTracks
	if o.Track != 0 {
		k := trackIndexOf(tracks, o.Track)
		if tracks[k].ID != o.Track {
			return nil, kvs.Errorf(kvs.ResourceNotFound, "segments of track %d: %w", o.Track, ErrNoTrack)
		}
		tracks = tracks[k : k+1]
		s.only = trackIndexOf(pc.mtracks, o.Track)
	}
	ns := pc.origin - o.Origin
	for i := range pc.mtracks {
		s.shift[i] = unitsAt(ns, pc.mtracks[i].Timescale)
	}
	// Decode times grow on every track: a track's first run is its
	// earliest.
	seen := make([]bool, len(pc.mtracks))
	for _, r := range pc.runs {
		if !seen[r.track] && int64(r.run.BaseDecodeTime)+s.shift[r.track] < 0 {
			return nil, kvs.Errorf(kvs.InvalidArgument, "track %d decodes %d units before the origin: %w",
				pc.mtracks[r.track].ID, -(int64(r.run.BaseDecodeTime) + s.shift[r.track]), ErrBeforeOrigin)
		}
		seen[r.track] = true
	}
	var duration uint64
	if !o.NoDuration {
		duration = pc.duration
	}
	init, err := mp4.InitSegment(tracks, duration)
	if err != nil {
		return nil, err
	}
	s.init = init
	return s, nil
}

// unitsAt converts ns to units of 1/scale s, rounded to the nearest
// (halves up), without overflow for times since the epoch, and for
// negative times as for positive ones.
func unitsAt(ns int64, scale uint32) int64 {
	sec, rem := ns/1e9, ns%1e9
	if rem < 0 {
		sec, rem = sec-1, rem+1e9
	}
	s := int64(scale)
	return sec*s + (rem*s+5e8)/1e9
}

// Init returns the init segment: ftyp and moov, with the mehd of the
// clip's duration unless NoDuration. It is the Segments' own: the caller
// must not change it. Without NoDuration and a Track, and with a duration
// of at least 1 ms, it is the clip's header up to its sidx.
func (s *Segments) Init() []byte { return s.init }

// segment returns the output fragment of the fragment at position frag in
// the list given to Plan.
func (s *Segments) segment(frag int) (int, error) {
	out := s.pc.out
	k := sort.Search(len(out), func(k int) bool { return out[k].pos >= frag })
	if k == len(out) || out[k].pos != frag {
		return 0, kvs.Errorf(kvs.ResourceNotFound, "segment of fragment %d: %w", frag, ErrNoSegment)
	}
	return k, nil
}

// media lays out the moof of fragment frag's media segment in a writer of
// the clip's, which the caller puts back, and returns its output fragment
// and the segment's moof and mdat header size and payload size.
func (s *Segments) media(frag int) (cw *clipWriter, k, head int, payload int64, err error) {
	if k, err = s.segment(frag); err != nil {
		return nil, 0, 0, 0, err
	}
	if cw, err = s.pc.writer(); err != nil {
		return nil, 0, 0, 0, err
	}
	head, payload, err = cw.planMoof(k, s)
	if err == nil && head == 0 {
		err = kvs.Errorf(kvs.ResourceNotFound, "segment of fragment %d, without a sample of the tracks kept: %w", frag, ErrNoSegment)
	}
	if err != nil {
		s.pc.put(cw)
		return nil, 0, 0, 0, err
	}
	return cw, k, head, payload, nil
}

// Size returns the exact length of the media segment of fragment frag (its
// position in the list given to Plan), moof and mdat, or a *kvs.Error that
// wraps ErrNoSegment.
func (s *Segments) Size(frag int) (int64, error) {
	cw, _, head, payload, err := s.media(frag)
	if err != nil {
		return 0, err
	}
	s.pc.put(cw)
	return int64(head) + payload, nil
}

// Spans lists the payload reads WriteSegment(frag) makes — one span, or
// none when fragment frag has no segment — for a source that reads ahead.
func (s *Segments) Spans(frag int) []Span {
	k, err := s.segment(frag)
	if err != nil {
		return nil
	}
	if lo, hi := s.pc.span(k, 0, 0, math.MaxInt64, s.only); hi > lo {
		return []Span{{Fragment: frag, Offset: lo, Size: hi - lo}}
	}
	return nil
}

// WriteSegment writes the media segment of fragment frag (its position in
// the list given to Plan) to w: its moof, numbered as in the clip, with
// the decode times of the segments' time line and the trafs of the tracks
// kept, and an mdat of their payloads, read from src in one span (Spans).
// Payloads go to w as slices of what src returns. The errors are those of
// WriteRange, and ErrNoSegment.
func (s *Segments) WriteSegment(ctx context.Context, w io.Writer, src Payloads, frag int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cw, k, head, payload, err := s.media(frag)
	if err != nil {
		return err
	}
	defer s.pc.put(cw)
	cw.ctx, cw.src, cw.start, cw.end = ctx, src, 0, int64(head)+payload
	cw.out.Reset(w)
	defer cw.release()
	cw.moof = cw.fh.Append(cw.moof[:0], uint32(k+1))
	if err := cw.piece(cw.moof, 0); err != nil {
		return err
	}
	return cw.payloads(k, int64(head), s.only)
}
