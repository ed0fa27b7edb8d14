package remux

import (
	"math"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mp4"
)

// Format is the layout of a clip's MP4.
type Format int

const (
	// FormatFMP4 is a fragmented MP4: one moof+mdat per KVS fragment. It
	// can stream, starting after the first fragment.
	FormatFMP4 Format = iota
	// FormatMP4 is a progressive MP4 — ftyp, moov with every sample
	// table, mdat — what KVS documents GetClip to return. Every fragment
	// is read before the first byte goes out.
	FormatMP4
)

// String names the format as the CLI flag does.
func (f Format) String() string {
	if f == FormatMP4 {
		return "mp4"
	}
	return "fmp4"
}

// ParseFormat reads a format name: "mp4" (progressive) or "fmp4".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "mp4":
		return FormatMP4, nil
	case "fmp4", "":
		return FormatFMP4, nil
	}
	return 0, kvs.Errorf(kvs.InvalidArgument, "unknown format %q (want mp4 or fmp4)", s)
}

// layout is the shape of a planned clip, measured as its timed fragments
// come: mp4.Progressive's plan for a progressive file, or for an indexed
// fMP4 the index (sidx) and duration (mehd) the fragments' sizes and times
// make. Plan fills it from indexes, a FileWriter from the fragments it
// writes.
type layout struct {
	tracks []mp4.Track
	prog   *mp4.Progressive // FormatMP4

	// FormatFMP4: the fragments' sizes and times become idx.
	idx  mp4.Index
	ends []int64 // per track: end of the last sample, track units
	// Per track: its span of each fragment, and the earliest presentation
	// time of its first fragment with samples (-1 until there is one).
	byTrack [][]trackSpan
	epts    []int64
	// initTracks are the tracks the init segment describes: those with
	// samples (finishIndex).
	initTracks []mp4.Track
}

// sink is where a Clipper's timed fragments go: a streaming mp4.Writer,
// or the fragments of a FileWriter, written behind the room for their
// header and measured for it.
type sink interface {
	WriteFragment(f *mp4.Fragment) error
	Flush() error
}

// measure adds fragment f, of size bytes in the output, to the index of
// an indexed fMP4 (nothing for a fragment without samples, 0 bytes). Every
// track is measured: the reference track is chosen at the end
// (finishIndex), as the first one with samples.
func (pl *layout) measure(f *mp4.Fragment, size int64) {
	if size == 0 {
		return
	}
	for k := range pl.byTrack {
		pl.byTrack[k] = append(pl.byTrack[k], trackSpan{start: -1})
	}
	for i := range f.Tracks {
		r := &f.Tracks[i]
		if len(r.Samples) == 0 {
			continue
		}
		var d uint64
		for j := range r.Samples {
			d += uint64(r.Samples[j].Duration)
		}
		k := trackIndexOf(pl.tracks, r.TrackID)
		pl.ends[k] = max(pl.ends[k], int64(r.BaseDecodeTime+d))
		if pl.epts[k] < 0 {
			// The earliest presentation of any sample, on the
			// presentation time line (after the track's edit): with
			// B-frames or open-GOP leading frames that is not the first
			// sample's. libavformat places the fragments from it.
			ept, dts := int64(math.MaxInt64), int64(r.BaseDecodeTime)
			for j := range r.Samples {
				ept = min(ept, dts+int64(r.Samples[j].CompositionOffset))
				dts += int64(r.Samples[j].Duration)
			}
			pl.epts[k] = max(ept-pl.tracks[k].EditMediaTime, 0)
		}
		sp := &pl.byTrack[k][len(pl.byTrack[k])-1]
		sp.start, sp.dur, sp.sap = int64(r.BaseDecodeTime), d, r.Samples[0].Sync
	}
	pl.idx.Fragments = append(pl.idx.Fragments, mp4.IndexEntry{Size: size})
}

// trackSpan is one track's part of a fragment of a planned fMP4: its first
// decode time (-1 when it has no sample there), its samples' length, and
// whether the first is a sync sample.
type trackSpan struct {
	start int64
	dur   uint64
	sap   bool
}

// startIndex readies the index of a planned fMP4 of tracks.
func (pl *layout) startIndex(tracks []mp4.Track) {
	pl.tracks, pl.initTracks = tracks, tracks
	pl.ends = make([]int64, len(tracks))
	pl.epts = make([]int64, len(tracks))
	pl.byTrack = make([][]trackSpan, len(tracks))
	for k := range pl.epts {
		pl.epts[k] = -1
	}
}

func trackIndexOf(tracks []mp4.Track, id uint32) int {
	for i := range tracks {
		if tracks[i].ID == id {
			return i
		}
	}
	return 0
}

// finishIndex turns the measured fragments into the sidx's references: a
// fragment lasts until the next one starts on the reference track, so gaps
// count towards the fragment before them and the durations add up to the
// time line; the last lasts as long as its samples.
//
// The reference track is the first with samples (video, unless the clip
// holds none of its frames), and only tracks with samples go into the init
// segment (initTracks): readers fail on a track they find no sample of
// (ffmpeg cannot tell its format), and a sidx on it would index nothing.
func (pl *layout) finishIndex() {
	ref := 0
	for k := len(pl.tracks) - 1; k >= 0; k-- {
		if pl.epts[k] >= 0 {
			ref = k
		}
	}
	pl.initTracks = nil
	for k, t := range pl.tracks {
		if pl.epts[k] >= 0 {
			pl.initTracks = append(pl.initTracks, t)
		}
	}
	if pl.initTracks == nil {
		pl.initTracks = pl.tracks
	}
	pl.idx.ReferenceID, pl.idx.Timescale = pl.tracks[ref].ID, pl.tracks[ref].Timescale
	pl.idx.EarliestPresentationTime = uint64(max(pl.epts[ref], 0))
	fr, spans := pl.idx.Fragments, pl.byTrack[ref]
	next := int64(-1)
	for i := len(fr) - 1; i >= 0; i-- {
		fr[i].Duration, fr[i].StartsWithSAP = spans[i].dur, spans[i].sap
		if spans[i].start < 0 {
			continue
		}
		if next >= 0 {
			fr[i].Duration = uint64(next - spans[i].start)
		}
		next = spans[i].start
	}
	var ms uint64
	for k, t := range pl.tracks {
		end := max(pl.ends[k]-t.EditMediaTime, 0)
		ms = max(ms, (uint64(end)*1000+uint64(t.Timescale)-1)/uint64(t.Timescale))
	}
	pl.idx.Duration = ms
}
