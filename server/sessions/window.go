package sessions

import (
	"bytes"
	"context"
	"math"
	"slices"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/dedup"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/playback"
)

// liveLookahead bounds a LIVE listing's end past now: server timestamps
// are this server's clock, so nothing is later than a little past now.
const liveLookahead = time.Hour

// sessionFragments lists the session's fragments as of now, in session
// order: the position of a fragment in the list, plus the head's Seq, is
// its sequence number, the same at every refresh, since the list only
// grows at its end.
//
//   - ON_DEMAND: the range, deduplicated and ordered by the selector's
//     timestamps as GetClip's selection does, capped at MaxResults;
//   - LIVE_REPLAY: the same, uncapped, paced (replayPace): the first
//     fragment at or after StartTimestamp from the session's start, and
//     each next one once the durations of those before it have elapsed;
//   - LIVE: every fragment ingested since the oldest one of the first
//     playlist (Session.Start), by server time; from the session's anchor
//     on when this server has one (liveanchor.go) and fromAnchor is set.
func (s *Sessions) sessionFragments(ctx context.Context, ss *playback.Session, now time.Time, fromAnchor bool) ([]kvs.Fragment, sessionHead, error) {
	if ss.Mode == kvs.Live {
		if a, ok := s.anchors.get(ss.ID); ok && fromAnchor {
			frags, err := s.d.Store.List(ctx, ss.Stream, kvs.ServerTimestamp, a.serverMillis-max(s.cfg.AnchorSlack, 0).Milliseconds(), now.Add(liveLookahead).UnixMilli())
			if err != nil {
				return nil, sessionHead{}, err
			}
			if k := slices.IndexFunc(frags, func(f kvs.Fragment) bool { return f.Number == a.number }); k >= 0 {
				return frags[k:], a.head, nil
			}
		}
		frags, err := s.d.Store.List(ctx, ss.Stream, kvs.ServerTimestamp, ss.Start, now.Add(liveLookahead).UnixMilli())
		if err != nil {
			return nil, sessionHead{}, err
		}
		// List is in number order: the session's fragments are those
		// from its first one on. (Once retention has deleted that one,
		// the numbering starts again from the oldest left.)
		k := slices.IndexFunc(frags, func(f kvs.Fragment) bool { return kvs.CompareFragmentNumbers(f.Number, ss.From) >= 0 })
		if k < 0 {
			return nil, sessionHead{}, nil
		}
		return frags[k:], sessionHead{Origin: frags[k].ProducerMillis, OriginServer: frags[k].ServerMillis}, nil
	}
	kind := ss.Selector
	end := ss.End
	if !ss.HasEnd {
		end = math.MaxInt64 / 2
	}
	lim := dedup.Limits{MaxFragments: ss.MaxResults, MaxBytes: math.MaxInt64}
	if ss.Mode == kvs.LiveReplay {
		lim.MaxFragments = math.MaxInt32
		if !ss.HasEnd && ss.Selector == kvs.ServerTimestamp {
			end = now.Add(liveLookahead).UnixMilli()
		}
	}
	frags, err := s.d.Store.List(ctx, ss.Stream, kind, ss.Start, end)
	if err != nil {
		return nil, sessionHead{}, err
	}
	req := dedup.Request{Selector: kind, Start: ss.Start, End: end}
	sel, err := dedup.Select(&req, frags, lim)
	if err != nil && kvs.KindOf(err) != kvs.ResourceNotFound {
		return nil, sessionHead{}, err
	}
	out := make([]kvs.Fragment, len(sel.Chosen))
	for k, i := range sel.Chosen {
		out[k] = frags[i]
	}
	var head sessionHead
	if len(out) > 0 {
		head.Origin = out[0].ProducerMillis
	}
	head.ended = ss.Mode == kvs.OnDemand
	if ss.Mode == kvs.LiveReplay {
		var k int
		k, head.ended = replayPace(ss, out, now)
		out = out[:k]
	}
	return out, head, nil
}

// replayPace is how many of a LIVE_REPLAY session's fragments (from
// StartTimestamp on, in session order) its playlists show at now, and
// whether that is all they will ever show. As KVS words it, the playlist
// "starts by including fragments from a given start time", and "fragments
// are added as the duration of the next fragment elapses": the first
// fragment at once, the next one when the first one's duration has passed
// since the session began, and so on. Pacing by durations rather than by
// timestamps, a StartTimestamp before the stream or in a gap does not make
// the player wait for that time to pass, and a gap between two recordings
// is not waited out either.
//
// The session has ended when its range has an end, every fragment in it is
// shown, and no more can come: a SERVER_TIMESTAMP EndTimestamp was in the
// past at the session's start; a PRODUCER_TIMESTAMP one must be.
func replayPace(ss *playback.Session, frags []kvs.Fragment, now time.Time) (n int, ended bool) {
	elapsed := now.UnixMilli() - ss.Created
	var played int64 // the durations of the fragments shown so far
	for n < len(frags) && (n == 0 || played <= elapsed) {
		played += max(frags[n].DurationMillis, 0)
		n++
	}
	ended = ss.HasEnd && n == len(frags) && (ss.Selector == kvs.ServerTimestamp || now.UnixMilli() >= ss.End)
	return n, ended
}

// sessionWindow is what a playlist or manifest shows at now: the newest
// MaxResults fragments of the session (all of an ON_DEMAND one), as
// segments with their sequence numbers and discontinuities. It also
// returns the session's fragments as sessionFragments lists them, of
// which the window shows frags[from:]. A LIVE session's anchor moves to
// the fragment before the window.
func (s *Sessions) sessionWindow(ctx context.Context, ss *playback.Session, now time.Time, uri func(kind, number string) string) (win playback.Window, frags []kvs.Fragment, from int, err error) {
	frags, head, err := s.sessionFragments(ctx, ss, now, true)
	if err != nil {
		return playback.Window{}, nil, 0, err
	}
	var w playback.Window
	w.Ended = head.ended
	w.Origin = head.Origin
	switch ss.Mode {
	case kvs.Live:
		// The first fragment began arriving at its server timestamp: a
		// fragment's end is on the server's clock about when it is in.
		w.OriginClock = head.OriginServer
	case kvs.LiveReplay:
		w.OriginClock = ss.Created
	default:
		w.OriginClock = head.Origin
	}
	from = max(len(frags)-ss.MaxResults, 0)
	var prev playback.Segment
	discs := head.DiscBefore // the markers before frags[i]
	for i, f := range frags {
		seg := playback.Segment{Fragment: f, Seq: head.Seq + int64(i), Start: f.ServerMillis}
		if ss.Selector == kvs.ProducerTimestamp {
			seg.Start = f.ProducerMillis
		}
		if i == 0 {
			seg.Discontinuity = head.Disc
		} else {
			seg.Discontinuity = playback.Discontinuous(ss.Discontinuity, &prev, &seg)
		}
		prev = seg
		if ss.Mode == kvs.Live && i+1 == from {
			s.anchors.put(ss.ID, liveAnchor{number: f.Number, serverMillis: f.ServerMillis,
				head: sessionHead{Seq: seg.Seq, DiscBefore: discs, Disc: seg.Discontinuity, Origin: head.Origin, OriginServer: head.OriginServer}})
		}
		if seg.Discontinuity {
			discs++
		}
		// A segment lasts until the next one starts, when that is near:
		// the stored length ends at the last frame's end, which the next
		// fragment's first frame may not meet exactly, and a timeline
		// (DASH's S elements, HLS's EXTINF sums) must not drift from the
		// segments' decode times.
		if i+1 < len(frags) {
			if d := frags[i+1].ProducerMillis - f.ProducerMillis; d > 0 && d <= f.DurationMillis+playback.BoundaryGapMillis {
				seg.DurationMillis = d
			}
		}
		// A discontinuity before the window's first segment is one whose
		// tag the playlist no longer shows (a playlist shows tags only
		// between its segments): it is counted in the sequence instead
		// (RFC 8216 §6.2.2), the same at every refresh.
		if i == from {
			w.Discontinuities = discs
		}
		if i < from {
			continue
		}
		if ss.Container == kvs.MPEGTS {
			seg.URI = uri("getTSFragment.ts", f.Number)
		} else {
			seg.URI = uri("getMP4MediaFragment.mp4", f.Number)
		}
		w.Segments = append(w.Segments, seg)
	}
	if ss.Container != kvs.MPEGTS {
		nameInits(&w, uri)
	}
	return w, frags, from, nil
}

// nameInits gives each fMP4 segment of the window the URI of its init
// segment: named by the fragment number of the first segment of its run,
// the window's first or one after a discontinuity, where a playlist
// repeats its EXT-X-MAP. An init is then the codec data of a fragment
// that the playlist shows, or showed a moment ago, and is served as long
// as that fragment is in the session; a URI without a number would mean
// the newest fragment's, which a player that opens it again after a
// discontinuity (ffmpeg) gets different from, or not at all once the
// session's fragments moved on.
func nameInits(w *playback.Window, uri func(kind, number string) string) {
	cur := ""
	for k := range w.Segments {
		seg := &w.Segments[k]
		if k == 0 || seg.Discontinuity {
			cur = uri("getMP4InitFragment.mp4", seg.Number)
		}
		seg.InitURI = cur
	}
}

// sameCodecs tells whether two fragments' tracks carry the same codecs
// with the same codec data: one init segment serves both.
func sameCodecs(a, b *mkv.Header) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || len(a.Tracks) != len(b.Tracks) {
		return false
	}
	for i := range a.Tracks {
		x, y := &a.Tracks[i], &b.Tracks[i]
		if x.Number != y.Number || x.CodecID != y.CodecID || !bytes.Equal(x.CodecPrivate, y.CodecPrivate) {
			return false
		}
	}
	return true
}

// codecChanges tells, for each segment of the window, whether the codec
// data change there: from the fragment before it, which for the first
// one is the fragment before the window. It also returns the indexes of
// the window's fragments.
func (s *Sessions) codecChanges(ctx context.Context, ss *playback.Session, frags []kvs.Fragment, from int) (changed []bool, idx []*fragindex.Index, err error) {
	lo := max(from-1, 0)
	st := archive.Stream{Name: ss.Stream, ARN: ss.StreamARN}
	all, err := s.d.Reader.Indexes(ctx, httpapi.Log(ctx), st, frags[lo:])
	if err != nil {
		return nil, nil, err
	}
	idx = all[from-lo:]
	changed = make([]bool, len(idx))
	for k := range idx {
		i := from + k - lo // in all
		changed[k] = i > 0 && !sameCodecs(all[i-1].Header, all[i].Header)
	}
	return changed, idx, nil
}

// markCodecChanges puts a discontinuity, and for fMP4 an init segment of
// its own, where the codec data changes between the window's fragments (or
// between the fragment before the window and its first). A player resets
// its decoder there; KVS instead fails such a session.
func (s *Sessions) markCodecChanges(ctx context.Context, ss *playback.Session, win *playback.Window, frags []kvs.Fragment, from int, uri func(kind, number string) string) error {
	changed, _, err := s.codecChanges(ctx, ss, frags, from)
	if err != nil {
		return err
	}
	for k := range win.Segments {
		if changed[k] {
			if k == 0 && !win.Segments[k].Discontinuity {
				win.Discontinuities++ // its tag just left the playlist
			}
			win.Segments[k].Discontinuity = true
		}
	}
	if ss.Container != kvs.MPEGTS {
		// A run now begins at every change, with its own init.
		nameInits(win, uri)
	}
	return nil
}

// Codec IDs a playback session carries.
const (
	codecAVC  = "V_MPEG4/ISO/AVC"
	codecHEVC = "V_MPEGH/ISO/HEVC"
	codecAAC  = "A_AAC"
	codecG711 = "A_MS/ACM"
)

// playbackCodecs checks a fragment's tracks against what the protocol
// carries: H.264 or H.265 video in track 1, with codec data, and
// optionally AAC audio in track 2 — or G.711 for DASH only, since the HLS
// requirements of the API name AAC alone.
func playbackCodecs(h *mkv.Header, proto kvs.Protocol, number string) error {
	if h == nil || len(h.Tracks) == 0 || len(h.Tracks) > 2 {
		return httpapi.Errorf(kvs.UnsupportedStreamMediaType, "The tracks of fragment %s are not a video track and an optional audio track.", number)
	}
	v := h.Tracks[0]
	if v.CodecID != codecAVC && v.CodecID != codecHEVC {
		return httpapi.Errorf(kvs.UnsupportedStreamMediaType, "Track 1 of fragment %s has codec %s, not %s or %s.", number, v.CodecID, codecAVC, codecHEVC)
	}
	if len(v.CodecPrivate) == 0 {
		return httpapi.Errorf(kvs.MissingCodecPrivateData, "Track 1 of fragment %s has no codec private data.", number)
	}
	if len(h.Tracks) == 2 {
		a := h.Tracks[1]
		ok := a.CodecID == codecAAC || proto == kvs.DASH && a.CodecID == codecG711
		if !ok {
			return httpapi.Errorf(kvs.UnsupportedStreamMediaType, "Track 2 of fragment %s has codec %s, which %s sessions do not carry.", number, a.CodecID, proto)
		}
		if len(a.CodecPrivate) == 0 {
			return httpapi.Errorf(kvs.MissingCodecPrivateData, "Track 2 of fragment %s has no codec private data.", number)
		}
	}
	return nil
}
