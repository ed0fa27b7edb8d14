package sessions

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/answer"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/storeread"
)

// segmentPlan is one fragment planned on its own as a fragmented MP4, and
// what a playback session serves of it: the init segment (without the
// mehd that would give it this fragment's duration) and the media segment
// (the moof, its decode times on the session's timeline, and the mdat,
// written from the stored payloads).
type segmentPlan struct {
	plan *remux.PlannedClip
	src  *storeread.ClipSource
	frag int // the segment's fragment, its position in the plan
}

// planSegment plans the last fragment of frags, which is that fragment
// alone or it after the one before it in the session. Planned after its
// predecessor, a fragment keeps frames before its first key frame (a
// fragment planned alone would drop them, as a clip does at its start),
// and its first frames' times follow the predecessor's last. No payload
// is read until the media segment is written, and only this fragment's
// then.
func (s *Sessions) planSegment(ctx context.Context, st archive.Stream, frags []kvs.Fragment) (*segmentPlan, error) {
	idx, err := s.d.Reader.Indexes(ctx, httpapi.Log(ctx), st, frags)
	if err != nil {
		return nil, err
	}
	sp := &segmentPlan{src: s.d.Reader.Source(st.Name, frags), frag: len(frags) - 1}
	opts := &remux.PlanOptions{Options: remux.Options{Profile: remux.ProfileKVS}, Format: remux.FormatFMP4}
	sp.plan, err = remux.Plan(ctx, idx, sp.src, opts)
	if err != nil && len(frags) > 1 {
		// The predecessor does not go with it (other codec data, a
		// damaged index): the fragment is planned alone.
		return s.planSegment(ctx, st, frags[len(frags)-1:])
	}
	if err != nil {
		return nil, err
	}
	// The fragment has a segment only if it has media of its own.
	if man := sp.plan.Manifest(); len(man.Fragments) != len(frags) || !man.Fragments[sp.frag].Included {
		return nil, httpapi.Errorf(kvs.ResourceNotFound, "Fragment %s holds no media.", frags[sp.frag].Number)
	}
	return sp, nil
}

// segments cuts the plan for a session: every track, or only track; decode
// times on the media time line (producer times since the epoch), the
// session's timeline; no duration.
func (sp *segmentPlan) segments(track uint32) (*remux.Segments, error) {
	segs, err := sp.plan.Segments(&remux.SegmentOptions{Track: track, NoDuration: true})
	return segs, noTrack(err, track)
}

// noTrack is err, or for a segment without the track asked for, the
// session's error for it.
func noTrack(err error, track uint32) error {
	if errors.Is(err, remux.ErrNoTrack) || errors.Is(err, remux.ErrNoSegment) {
		return httpapi.Errorf(kvs.ResourceNotFound, "The session has no track %d.", track)
	}
	return err
}

// sendInit answers getMP4InitFragment.mp4: every track, or only track.
func (sp *segmentPlan) sendInit(w http.ResponseWriter, track uint32) error {
	segs, err := sp.segments(track)
	if err != nil {
		return err
	}
	init := segs.Init()
	h := w.Header()
	h.Set("Content-Type", "video/mp4")
	h.Set("Content-Length", strconv.Itoa(len(init)))
	_, _ = w.Write(init) // a client gone away has nothing to answer
	return nil
}

// sendMedia answers getMP4MediaFragment.mp4: the moof on the session's
// timeline, then the mdat read within the server's read budget. With a
// track, the moof keeps that track's traf alone and the mdat its bytes.
func (s *Sessions) sendMedia(ctx context.Context, w http.ResponseWriter, sp *segmentPlan, track uint32) error {
	segs, err := sp.segments(track)
	if err != nil {
		return err
	}
	length, err := segs.Size(sp.frag)
	if err != nil {
		return noTrack(err, track)
	}
	h := w.Header()
	h.Set("Content-Type", "video/mp4")
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	sp.src.Start(ctx, segs.Spans(sp.frag))
	defer sp.src.Close()
	out := answer.New(w, s.d.Metrics.ClipBytes)
	out.Ready = sp.src.Served
	err = segs.WriteSegment(ctx, out, sp.src, sp.frag)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		storeread.LogPayloadError(httpapi.Log(ctx), err)
		return answer.Failed(ctx, out, err)
	}
	return nil
}

// fragmentTimeline places a fragment's frames on the media time line as
// the remux engine does: the fragment starts at its producer timestamp
// (else its Cluster time), and a frame of timecode t is at base + t×scale
// ns.
func fragmentTimeline(x *fragindex.Index) (start, base, scale int64) {
	return mediaTimeline(x.Timecode, x.Header.TimecodeScale, &x.Tags)
}

// mediaTimeline is fragmentTimeline from a fragment's Cluster timecode,
// TimecodeScale and tags.
func mediaTimeline(timecode int64, timecodeScale uint64, tags *mkv.Tags) (start, base, scale int64) {
	scale = int64(timecodeScale)
	start = timecode * scale
	if tags.HasProducerTimestamp {
		start = tags.ProducerTimestamp * 1e6
	}
	return start, start - timecode*scale, scale
}
