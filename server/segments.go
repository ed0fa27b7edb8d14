package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"strconv"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/playback"
	"github.com/kvsclip/kvsclip/server/storeread"
)

// segmentPlan is one fragment planned on its own as a fragmented MP4, cut
// into what a playback session serves of it: the init segment (ftyp and
// moov, without the mehd that would give it this fragment's duration) and
// the media segment (the moof, its decode times moved onto the session's
// timeline, and the mdat, written from the stored payloads).
type segmentPlan struct {
	plan   *remux.PlannedClip
	src    *storeread.ClipSource
	ftyp   []byte
	moov   []byte
	moof   []byte
	mdatAt int64
	size   int64
	// shift is where the planned clip's time 0 lies on the media time
	// line (producer time), in ns since the epoch.
	shift int64
	index *fragindex.Index
}

// planSegment plans the last fragment of frags, which is that fragment
// alone or it after the one before it in the session. Planned after its
// predecessor, a fragment keeps frames before its first key frame (a
// fragment planned alone would drop them, as a clip does at its start),
// and its first frames' times follow the predecessor's last. Its header
// boxes are read from the plan alone: no payload is read until the media
// segment is written, and only this fragment's then.
func (s *Server) planSegment(ctx context.Context, rq *httpapi.Call, st archive.Stream, frags []archive.Fragment) (*segmentPlan, error) {
	idx, err := s.rd.Indexes(ctx, rq.Log, st, frags)
	if err != nil {
		return nil, err
	}
	sp := &segmentPlan{src: s.rd.Source(st.Name, frags), index: idx[0]}
	opts := &remux.PlanOptions{Options: remux.Options{Profile: remux.ProfileKVS}, Format: remux.FormatFMP4}
	sp.plan, err = remux.Plan(ctx, idx, sp.src, opts)
	if err != nil && len(frags) > 1 {
		// The predecessor does not go with it (other codec data, a
		// damaged index): the fragment is planned alone.
		return s.planSegment(ctx, rq, st, frags[len(frags)-1:])
	}
	if err != nil {
		return nil, err
	}
	if sp.size, err = sp.plan.Size(); err != nil {
		return nil, err
	}
	// The last moof is the fragment's only if it has media of its own.
	if man := sp.plan.Manifest(); len(man.Fragments) != len(frags) || !man.Fragments[len(frags)-1].Included {
		return nil, httpapi.Errorf(kvs.ResourceNotFound, "Fragment %s holds no media.", frags[len(frags)-1].Number)
	}
	read := func(off, n int64) ([]byte, error) {
		var b bytes.Buffer
		err := sp.plan.WriteRange(ctx, &b, sp.src, off, off+n)
		return b.Bytes(), err
	}
	for off := int64(0); off+8 <= sp.size; {
		h, err := read(off, 8)
		if err != nil {
			return nil, err
		}
		n, typ := int64(binary.BigEndian.Uint32(h)), string(h[4:8])
		if typ == "moof" && sp.moof != nil && len(frags) == 1 {
			return nil, playback.ErrBoxes // one fragment, one moof
		}
		if n < 8 || off+n > sp.size {
			return nil, playback.ErrBoxes
		}
		switch typ {
		case "ftyp", "moov", "moof": // the last moof is the segment's
			b, err := read(off, n)
			if err != nil {
				return nil, err
			}
			switch typ {
			case "ftyp":
				sp.ftyp = b
			case "moov":
				if sp.moov, err = playback.WithoutBox(b, "mvex", "mehd"); err != nil {
					return nil, err
				}
			case "moof":
				sp.moof, sp.mdatAt = b, off+n
			}
		}
		off += n
	}
	if sp.ftyp == nil || sp.moov == nil || sp.moof == nil {
		return nil, playback.ErrBoxes
	}
	sp.shift = clipOriginNs(idx[0])
	return sp, nil
}

// clipOriginNs is the time 0 of a clip that starts with the fragment of x,
// as the remux engine sets it: the fragment's start (its producer
// timestamp, else its Cluster time), or an earlier frame of it.
func clipOriginNs(x *fragindex.Index) int64 {
	start, base, scale := fragmentTimeline(x)
	origin := start
	for _, smp := range x.Samples {
		origin = min(origin, base+smp.Time*scale)
	}
	return origin
}

// sendInit answers getMP4InitFragment.mp4: every track, or only track.
func (sp *segmentPlan) sendInit(w http.ResponseWriter, track uint32) error {
	moov := sp.moov
	if track != 0 {
		var err error
		if moov, err = playback.TrackMoov(moov, track); err != nil {
			return httpapi.Errorf(kvs.ResourceNotFound, "The session has no track %d.", track)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "video/mp4")
	h.Set("Content-Length", strconv.Itoa(len(sp.ftyp)+len(moov)))
	if _, err := w.Write(sp.ftyp); err != nil {
		return nil // the client went away; nothing to answer
	}
	_, _ = w.Write(moov)
	return nil
}

// sendMedia answers getMP4MediaFragment.mp4: the moof on the session's
// timeline, then the mdat read within the server's read budget. With a
// track, the moof keeps that track's traf alone and the mdat its bytes.
func (s *Server) sendMedia(ctx context.Context, rq *httpapi.Call, w http.ResponseWriter, sp *segmentPlan, track uint32) error {
	scales, err := playback.Timescales(sp.moov)
	if err != nil {
		return err
	}
	moofAt := sp.mdatAt - int64(len(sp.moof))
	moof := append([]byte(nil), sp.moof...)
	// The payload: the whole mdat, or the track's runs in it.
	ranges := []playback.Range{{Start: int64(len(moof)), End: sp.size - moofAt}}
	var mdatHeader []byte
	if track != 0 {
		if moof, ranges, err = playback.TrackFragment(moof, track); err != nil {
			return httpapi.Errorf(kvs.ResourceNotFound, "The session has no track %d.", track)
		}
		var total int64
		for _, r := range ranges {
			if r.Start < 0 || r.End > sp.size-moofAt || r.Start > r.End {
				return playback.ErrBoxes
			}
			total += r.End - r.Start
		}
		mdatHeader = binary.BigEndian.AppendUint32(nil, uint32(8+total))
		mdatHeader = append(mdatHeader, "mdat"...)
	}
	if err := playback.ShiftDecodeTimes(moof, scales, sp.shift); err != nil {
		return err
	}
	var spans []remux.Span
	length := int64(len(moof) + len(mdatHeader))
	for _, r := range ranges {
		spans = append(spans, sp.plan.Spans(moofAt+r.Start, moofAt+r.End)...)
		length += r.End - r.Start
	}
	h := w.Header()
	h.Set("Content-Type", "video/mp4")
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	sp.src.Start(ctx, spans)
	defer sp.src.Close()
	out := &clipWriter{w: w, s: s, ready: sp.src.Served}
	if _, err := out.Write(append(moof, mdatHeader...)); err != nil {
		return nil
	}
	for _, r := range ranges {
		if err = sp.plan.WriteRange(ctx, out, sp.src, moofAt+r.Start, moofAt+r.End); err != nil {
			break
		}
	}
	if err == nil {
		err = out.flush()
	}
	if err != nil {
		storeread.LogPayloadError(rq.Log, err)
		return s.clipFailed(rq, out, err)
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
