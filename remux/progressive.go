package remux

import (
	"errors"
	"io"
	"math"
	"slices"

	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/kvserr"
	"github.com/kvsclip/kvsclip/mkv"
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
	return 0, kvserr.Errorf(kvserr.InvalidArgument, "unknown format %q (want mp4 or fmp4)", s)
}

// A planned clip is made in two passes over the same fragments, by the same
// timing code: the first (Add) runs the Clipper as usual but hands its
// fragments to a planning sink that only measures them — mp4.Progressive's
// Plan for a progressive file, a fragmented writer into a byte counter for
// fMP4 — so that the size and, for fMP4, the index are known; the second
// (Close or WriteRange) replays the fragments through a fresh Clipper into
// the real writer. Both passes see the same fragments in the same order
// with the same options, so they compute the same samples; the progressive
// writer checks every sample's size against its plan all the same.
type planned struct {
	dst   io.Writer
	frags []*mkv.Fragment

	tracks []mp4.Track
	prog   *mp4.Progressive // FormatMP4

	// FormatFMP4: the first pass writes into count; the fragments' sizes
	// and times become idx.
	count countWriter
	fw    *mp4.Writer
	idx   mp4.Index
	ends  []int64 // per track: end of the last sample, track units
	// Per track: its span of each fragment, and the earliest presentation
	// time of its first fragment with samples (-1 until there is one).
	byTrack [][]trackSpan
	epts    []int64
	// initTracks are the tracks the init segment describes: those with
	// samples (finishIndex).
	initTracks []mp4.Track

	size    int64
	ready   bool // the first pass is complete
	written bool // the second pass has run

	// one is set when the first pass writes the fragments to the file
	// (Options.IndexRoom); header is what Close puts in front of them,
	// nil when the index needed more room and the clip is written again.
	one    *onePass
	header []byte
}

// fileDst is a destination a planned fMP4 can be written to in one pass:
// an *os.File, which the mp4 writer also gives vectored writes.
type fileDst interface {
	io.Writer
	io.Seeker
	io.WriterAt
	Truncate(size int64) error
}

// onePass is a planned fMP4 written in one pass (Options.IndexRoom).
type onePass struct {
	f    fileDst
	base int64 // the clip's first byte in f
	room int   // bytes reserved in front of the fragments
}

func (c *Clipper) startPlan() {
	pl := &planned{dst: c.dst}
	c.plan = pl
	if c.opts.Format == FormatMP4 {
		c.open = func(tracks []mp4.Track) (sink, error) {
			p, err := mp4.NewProgressive(tracks)
			if err != nil {
				return nil, err
			}
			pl.tracks, pl.prog = tracks, p
			return planSink{p}, nil
		}
		return
	}
	if f, ok := c.dst.(fileDst); ok && c.opts.IndexRoom > 0 {
		// A pipe or a terminal is an *os.File too, but cannot seek.
		if _, err := f.Seek(0, io.SeekCurrent); err == nil {
			pl.one = &onePass{f: f}
		}
	}
	c.open = func(tracks []mp4.Track) (sink, error) {
		var w *mp4.Writer
		if pl.one != nil {
			var err error
			if w, err = pl.one.start(tracks, c.opts.IndexRoom); err != nil {
				return nil, err
			}
		} else {
			var err error
			// Nothing is kept, so nothing need be gathered: a
			// Write per piece.
			if w, err = mp4.NewWriter(&pl.count, tracks); err != nil {
				return nil, err
			}
			if err := w.WriteInit(); err != nil {
				return nil, err
			}
		}
		pl.fw = w
		pl.startIndex(tracks)
		return indexSink{pl}, nil
	}
}

// start reserves the room for the header in front of the fragments of n
// at most and returns the writer of the fragments behind it.
func (op *onePass) start(tracks []mp4.Track, n int) (*mp4.Writer, error) {
	room, err := mp4.ReservedHeaderSize(tracks, min(n, math.MaxUint16))
	if err != nil {
		return nil, err
	}
	base, err := op.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	if _, err := op.f.Seek(base+int64(room), io.SeekStart); err != nil {
		return nil, err
	}
	op.base, op.room = base, room
	// The fragments stay valid until Close (a planned clip keeps them),
	// so they can be written while the next ones are timed.
	out := clipio.NewWriter(op.f)
	out.SetWriteBehind()
	w, err := mp4.NewWriter(out, tracks)
	if err != nil {
		return nil, err
	}
	w.SkipInit()
	return w, nil
}

// sink is where a Clipper's timed fragments go: a streaming mp4.Writer,
// or one of the passes of a planned clip.
type sink interface {
	WriteFragment(f *mp4.Fragment) error
	Flush() error
}

// planSink plans a progressive file.
type planSink struct{ p *mp4.Progressive }

func (s planSink) WriteFragment(f *mp4.Fragment) error { return s.p.Plan(f) }
func (s planSink) Flush() error                        { return nil }

// progSink writes a planned progressive file's payloads.
type progSink struct{ p *mp4.Progressive }

func (s progSink) WriteFragment(f *mp4.Fragment) error { return s.p.WriteFragment(f) }
func (s progSink) Flush() error                        { return s.p.Close() }

// indexSink measures the fragments of a planned fMP4.
type indexSink struct{ pl *planned }

func (s indexSink) WriteFragment(f *mp4.Fragment) error {
	pl := s.pl
	before := pl.fw.BytesWritten()
	if err := pl.fw.WriteFragment(f); err != nil {
		return err
	}
	pl.measure(f, pl.fw.BytesWritten()-before)
	return nil
}

// measure adds fragment f, of size bytes in the output, to the index of a
// planned fMP4 (nothing for a fragment without samples, 0 bytes). Every
// track is measured: the reference track is chosen at the end
// (finishIndex), as the first one with samples.
func (pl *planned) measure(f *mp4.Fragment, size int64) {
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

func (s indexSink) Flush() error { return s.pl.fw.Flush() }

// startIndex readies the index of a planned fMP4 of tracks.
func (pl *planned) startIndex(tracks []mp4.Track) {
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
func (pl *planned) finishIndex() {
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

// Plan ends the first pass of a planned clip (Options.Format FormatMP4 or
// Options.Planned) and returns the exact size of the MP4 that Close or
// WriteRange will write. Nothing has been written to the destination yet,
// so a failure here can still be answered with a proper error. With no
// fragment holding media it returns a ResourceNotFound error, as Close
// does. (A clip planned from indexes is the function Plan's.)
func (c *Clipper) Plan() (int64, error) {
	pl := c.plan
	if pl == nil {
		return 0, kvserr.New(kvserr.InvalidArgument, "Plan needs a planned clip (Options.Format mp4 or Options.Planned)")
	}
	if pl.ready {
		return pl.size, nil
	}
	if c.err != nil {
		return 0, c.err
	}
	if c.pend == nil {
		c.err = kvserr.New(kvserr.ResourceNotFound, kvs.NoFragmentsMessage)
		return 0, c.err
	}
	if err := c.flushPending(nil); err != nil {
		c.err = err
		return 0, err
	}
	c.pend = nil
	if err := c.w.Flush(); err != nil {
		c.err = err
		return 0, err
	}
	if pl.prog != nil {
		size, err := pl.prog.Size()
		if err != nil {
			c.err = err
			return 0, err
		}
		pl.size = size
	} else {
		pl.finishIndex()
		if op := pl.one; op != nil && op.room > 0 {
			h, err := mp4.ReservedHeader(pl.initTracks, &pl.idx, op.room)
			switch {
			case err == nil:
				pl.header = h
				pl.size = int64(op.room)
				for _, f := range pl.idx.Fragments {
					pl.size += f.Size
				}
				pl.ready = true
				return pl.size, nil
			case !errors.Is(err, mp4.ErrNoRoom):
				c.err = err
				return 0, err
			}
			// More fragments than room: Close writes the clip again.
		}
		// Built here only to measure the init segment and check the
		// index; the second pass builds its own on the destination,
		// whose kind sets how payloads are written (clipio.Writer).
		w, err := mp4.NewIndexedWriter(io.Discard, pl.initTracks, &pl.idx)
		if err != nil {
			c.err = err
			return 0, err
		}
		pl.size = int64(w.InitSize())
		for _, f := range pl.idx.Fragments {
			pl.size += f.Size
		}
	}
	pl.ready = true
	return pl.size, nil
}

// keep retains a fragment for the second pass. A Reader reuses its
// Fragment values from one Next to the one after, so the fragment and its
// block list are copied; the payloads are not, and must stay valid.
func (pl *planned) keep(f *mkv.Fragment) *mkv.Fragment {
	cp := *f
	cp.Blocks = slices.Clone(f.Blocks)
	cp.Tags.Other = slices.Clone(f.Tags.Other)
	pl.frags = append(pl.frags, &cp)
	return &cp
}

// errRangeDone stops the second pass once the requested range is out.
var errRangeDone = errors.New("remux: range written")

// WriteRange writes bytes [start, end) of a planned clip to the
// destination: the second pass runs until end and hands on nothing before
// start, so a byte range costs the fragments up to its end, and the bytes
// before it are never written. It can be called once per Clipper (a
// second pass consumes the plan); Close afterwards only returns the
// manifest.
//
// Deprecated: the fragments of a byte range are known before it is
// written; plan the clip from their indexes (Plan) and write the range
// with PlannedClip.WriteRange, which reads only the payloads the range
// covers and holds none in memory.
func (c *Clipper) WriteRange(start, end int64) error {
	if _, err := c.Plan(); err != nil {
		return err
	}
	if c.plan.one != nil && c.plan.one.room > 0 {
		return kvserr.New(kvserr.InvalidArgument, "a clip written in one pass (Options.IndexRoom) is finished by Close, not WriteRange")
	}
	return c.writeRange(start, end)
}

// writeRange is WriteRange once the plan is made.
func (c *Clipper) writeRange(start, end int64) error {
	size := c.plan.size
	pl := c.plan
	if start < 0 || end > size || start >= end {
		return kvserr.Errorf(kvserr.InvalidArgument, "range [%d, %d) is not within the clip's %d bytes", start, end, size)
	}
	if pl.written || pl.header != nil {
		return kvserr.New(kvserr.InvalidArgument, "the clip has been written already")
	}
	pl.written = true
	var dst io.Writer = pl.dst
	if start > 0 || end < size {
		dst = &rangeWriter{w: pl.dst, skip: start, left: end - start}
	}
	var err error
	inner := &Clipper{dst: dst, opts: c.opts, expected: c.expected}
	inner.opts.Format, inner.opts.Planned = FormatFMP4, false
	inner.open = func(tracks []mp4.Track) (sink, error) {
		if pl.prog != nil {
			if err := pl.prog.WriteHeader(clipio.NewWriter(dst)); err != nil {
				return nil, err
			}
			return progSink{pl.prog}, nil
		}
		w, err := mp4.NewIndexedWriter(clipio.NewWriter(dst), pl.initTracks, &pl.idx)
		if err != nil {
			return nil, err
		}
		if err := w.WriteInit(); err != nil {
			return nil, err
		}
		return w, nil
	}
	for _, f := range pl.frags {
		if err = inner.Add(f); err != nil {
			break
		}
	}
	if err == nil {
		_, err = inner.Close()
	}
	if errors.Is(err, errRangeDone) {
		return nil
	}
	if err != nil {
		c.err = err
	}
	return err
}

// closePlanned is Close for a planned clip: plan, write the whole clip
// unless WriteRange has written a part, and return the manifest.
func (c *Clipper) closePlanned() (*Manifest, error) {
	if c.err != nil {
		c.quiesce()
		return c.Manifest(), c.err
	}
	size, err := c.Plan()
	if err != nil {
		c.quiesce()
		return c.Manifest(), err
	}
	if op := c.plan.one; op != nil && op.room > 0 {
		if err := c.finishOnePass(size); err != nil {
			c.err = err
			return c.Manifest(), err
		}
	} else if !c.plan.written {
		if err := c.WriteRange(0, size); err != nil {
			return c.Manifest(), err
		}
	}
	c.err = errClosed
	return c.Manifest(), nil
}

// quiesce waits for the writes of a one-pass clip still under way (mp4
// write-behind), after an error or on Abort, so that nothing is written
// to the file after Close or Abort returns — the caller may close it, and
// its descriptor may be reused at once.
func (c *Clipper) quiesce() {
	if pl := c.plan; pl != nil && pl.one != nil && pl.fw != nil {
		_ = pl.fw.Flush()
	}
}

// finishOnePass ends a clip whose fragments the first pass wrote to the
// file: the header goes into the room in front of them, or, when the index
// did not fit, the clip is written again from its start and the file cut
// to its size.
func (c *Clipper) finishOnePass(size int64) error {
	pl, op := c.plan, c.plan.one
	if pl.header != nil {
		if _, err := op.f.WriteAt(pl.header, op.base); err != nil {
			return err
		}
		pl.written = true
		return nil
	}
	if _, err := op.f.Seek(op.base, io.SeekStart); err != nil {
		return err
	}
	if err := c.writeRange(0, size); err != nil {
		return err
	}
	return op.f.Truncate(op.base + size)
}

// countWriter counts bytes and keeps none.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// rangeWriter passes on the bytes of [skip, skip+left) of what is written
// to it and reports errRangeDone once that is out, which ends the pass.
type rangeWriter struct {
	w          io.Writer
	skip, left int64
}

func (w *rangeWriter) Write(p []byte) (int, error) {
	n := len(p)
	if w.skip >= int64(n) {
		w.skip -= int64(n)
		return n, nil
	}
	p = p[w.skip:]
	w.skip = 0
	if int64(len(p)) > w.left {
		p = p[:w.left]
	}
	if _, err := w.w.Write(p); err != nil {
		return 0, err
	}
	w.left -= int64(len(p))
	if w.left == 0 {
		return n, errRangeDone
	}
	return n, nil
}
