package remux

import (
	"io"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/mp4"
)

// Clipper turns fragments, added one at a time, into a streaming
// fragmented MP4: the init segment goes out with the first fragment, and
// each fragment's moof+mdat as soon as the next one has come. It is for
// callers that choose the fragments themselves; Clip covers the common case
// of a whole input. A clip whose layout depends on all of its fragments —
// a progressive MP4, or an fMP4 with its duration and index — is planned
// instead (Collector, Plan, FileWriter).
//
// The clipper holds one fragment back: the durations of a fragment's last
// samples come from the next fragment's first ones. So a fragment passed to
// Add must stay valid until the following Add or Close returns — as the
// fragments of an mkv.Reader do.
type Clipper struct {
	dst  io.Writer
	opts Options
	w    sink
	err  error
	// open, when set, makes the sink in place of a streaming mp4.Writer:
	// a FileWriter's (filewriter.go), or none for a plan.
	open func([]mp4.Track) (sink, error)
	// pc, when set, is a planned clip being planned from sample indexes
	// (planclip.go): collect sizes the samples from the index, reading
	// only frames whose bytes change, and flushPending hands each timed
	// fragment to pc instead of a sink.
	pc *planner

	header   *mkv.Header
	tracks   []*track // in output order: video first
	byNum    map[uint64]*track
	origin   int64         // clip time 0, in ns on the input's time line
	shift    int64         // ns of gaps closed so far (GapsClose)
	sawKey   bool          // a video key frame has been taken
	expected []*mkv.Header // the configurations given to NewClipper
	timed    bool          // origin is set

	pend    *pending // written when the next fragment is known
	spare   *pending
	out     mp4.Fragment
	read    int // fragments added
	written bool
	man     Manifest
}

// NewClipper returns a Clipper that writes to dst. opts may be nil.
//
// configs are the headers the clip's fragments will carry. With
// opts.AllowCodecChange each codec configuration among them that differs
// from the first fragment's becomes one more sample description of its
// track, written into the init segment, and a fragment that changes
// configuration switches to its description (tfhd
// sample_description_index). The init segment goes out with the first
// fragment, so a configuration that is not among configs is an
// InvalidCodecPrivateData error where it appears. Without
// AllowCodecChange configs are not used.
func NewClipper(dst io.Writer, opts *Options, configs ...*mkv.Header) *Clipper {
	c := &Clipper{dst: dst}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.AllowCodecChange {
		c.expected = configs
	}
	return c
}

// pending is one fragment's samples, timed but not yet written.
type pending struct {
	frag  *mkv.Fragment
	runs  []run // by track index
	entry int   // index in the manifest
	pos   int   // the fragment's position in a planned clip's list (pc)
}

// run is one track's samples of a fragment.
type run struct {
	samples []mp4.Sample
	pts     []int64 // presentation times, track units
	dts     []int64 // decode times, track units
	lastDur int64   // BlockDuration of the last sample in units; 0 if none
	lens    []int64 // audio frame lengths in units, from the frames' sizes (G.711); else nil
	sdi     uint32  // sample description index in force
	// src says where each sample's bytes come from, for a clip planned
	// from indexes (pc): the block's index in its fragment and the src
	// flags. Empty otherwise.
	src []uint32
}

// Add adds the next fragment of the clip.
func (c *Clipper) Add(f *mkv.Fragment) error {
	if c.err != nil {
		return c.err
	}
	c.err = c.add(f)
	return c.err
}

func (c *Clipper) add(f *mkv.Fragment) error {
	c.read++
	ps, pok := f.Tags.ProducerTimestamp, f.Tags.HasProducerTimestamp
	ss, sok := f.Tags.ServerTimestamp, f.Tags.HasServerTimestamp
	c.man.Fragments = append(c.man.Fragments, FragmentEntry{
		Number:            f.Tags.FragmentNumber,
		Index:             f.Index,
		ProducerTimestamp: secondsPtr(ps, pok),
		ServerTimestamp:   secondsPtr(ss, sok),
		Bytes:             f.Size,
	})
	entry := &c.man.Fragments[len(c.man.Fragments)-1]
	if f.Truncated {
		entry.Reason = ReasonCutShort
	}
	if len(f.Blocks) == 0 {
		entry.Reason = ReasonNoMedia
		return nil
	}
	if c.tracks == nil {
		if err := c.setup(f); err != nil {
			return err
		}
	} else if err := c.checkHeader(f); err != nil {
		return err
	}
	p := c.spare
	if p == nil {
		p = &pending{runs: make([]run, len(c.tracks))}
	}
	c.spare = nil
	p.frag, p.entry = f, len(c.man.Fragments)-1
	for i := range p.runs {
		r := &p.runs[i]
		r.samples, r.pts, r.dts, r.lens, r.lastDur = r.samples[:0], r.pts[:0], r.dts[:0], r.lens[:0], 0
		r.src = r.src[:0]
	}
	if c.pc != nil {
		p.pos = c.pc.pos
	}
	n, err := c.collect(f, p)
	if err != nil {
		return err
	}
	entry = &c.man.Fragments[p.entry]
	if n == 0 {
		entry.Reason = ReasonLeadingNonKey
		c.spare = p
		return nil
	}
	entry.Included = true
	if c.pend != nil {
		c.gap(p)
	}
	for i, t := range c.tracks {
		if err := t.decodeTimes(&p.runs[i]); err != nil {
			return c.locate(err, f, t.num, -1)
		}
	}
	if c.w == nil {
		// The init segment waits for the first fragment's decode times:
		// its edit lists carry the B-frame delay found there.
		if err := c.writeInit(f); err != nil {
			return err
		}
	}
	if c.pend != nil {
		if err := c.flushPending(p); err != nil {
			return err
		}
	}
	c.pend, c.spare = p, c.pend
	return nil
}

// startNs returns where fragment f starts on the input's time line, in ns:
// its producer timestamp tag, else its Cluster time.
func startNs(f *mkv.Fragment) int64 {
	if f.Tags.HasProducerTimestamp {
		return f.Tags.ProducerTimestamp * 1e6
	}
	return f.Timecode * int64(f.Header.TimecodeScale)
}

// collect turns f's blocks into samples with presentation times, and returns
// how many it took.
func (c *Clipper) collect(f *mkv.Fragment, p *pending) (int, error) {
	scale := int64(f.Header.TimecodeScale)
	base := startNs(f) - f.Timecode*scale
	if !c.timed {
		// The first fragment sets time 0: its start, or an earlier
		// block of it (audio may begin before the video's key frame).
		c.origin = startNs(f)
		for i := range f.Blocks {
			c.origin = min(c.origin, base+f.Blocks[i].Time*scale)
		}
	}
	taken, dropped := 0, 0
	for i := range f.Blocks {
		b := &f.Blocks[i]
		t := c.byNum[b.Track]
		if t == nil {
			continue // a track of a later header that checkHeader let pass
		}
		if t.info.Kind == codec.Video && !c.sawKey {
			if !b.Keyframe {
				dropped++
				continue
			}
			c.sawKey = true
		}
		ns := base + b.Time*scale - c.origin - c.shift
		if b.Lace > 0 {
			ns += int64(b.Lace) * t.laceStepNs(f.Header.Track(b.Track))
		}
		s := mp4.Sample{Sync: b.Keyframe || t.info.Kind == codec.Audio}
		var n int64
		var err error
		src := uint32(i)
		if c.pc != nil {
			s.Size, n, src, err = c.pc.frame(f, i, t)
		} else {
			s.Data, n, err = t.frame(b.Data)
		}
		if err != nil {
			return 0, c.locate(err, f, b.Track, b.Offset)
		}
		r := &p.runs[t.index]
		if len(r.samples) == 0 {
			r.sdi = t.sdi
		}
		if t.inject && b.Keyframe {
			t.inject = false
			if c.pc != nil {
				// The writer puts the sets in front of the frame.
				s.Size += uint32(len(c.pc.parameterSets(t, t.sdi)))
				src |= srcInject
			} else {
				s.Data = t.withParameterSets(s.Data)
			}
		}
		r.samples = append(r.samples, s)
		if c.pc != nil {
			r.src = append(r.src, src)
		}
		r.pts = append(r.pts, t.units(max(ns, 0)))
		if t.info.G711 != nil {
			r.lens = append(r.lens, n)
		}
		r.lastDur = 0
		if b.HasDuration {
			r.lastDur = t.units(int64(b.Duration) * scale)
		}
		taken++
	}
	if dropped > 0 {
		c.man.Fragments[p.entry].DroppedFrames = dropped
		c.man.Fragments[p.entry].Reason = ReasonLeadingNonKey
	}
	c.timed = c.timed || taken > 0
	return taken, nil
}

// gap looks for a hole in the timeline between the held fragment and p,
// whose presentation times are set but not yet its decode times. It
// measures on the first track with samples in both, video when it can, and
// predicts what durations will decide: a hole is there when the held
// fragment's last sample will not stretch to p's first. It records the
// hole, and with GapsClose moves p earlier by its length on every track.
func (c *Clipper) gap(p *pending) {
	for i, t := range c.tracks {
		prev, next := &c.pend.runs[i], &p.runs[i]
		if len(prev.dts) == 0 || len(next.pts) == 0 {
			continue
		}
		last := prev.dts[len(prev.dts)-1]
		usual := t.closingDuration(prev)
		// p's first decode time, as decodeTimes will set it, kept
		// increasing.
		first := max(t.firstDTS(next.pts), last+1)
		if first-last <= maxGapFill*usual {
			return
		}
		hole := first - (last + usual)
		g := Gap{
			AfterFragment: c.pend.frag.Name(),
			At:            t.seconds(last + usual),
			Duration:      t.seconds(hole),
			Closed:        c.opts.Gaps == GapsClose,
		}
		c.man.Gaps = append(c.man.Gaps, g)
		if g.Closed {
			ns := t.nanos(hole)
			c.shift += ns
			for j, u := range c.tracks {
				r := &p.runs[j]
				d := u.units(ns)
				for k := range r.pts {
					r.pts[k] = max(r.pts[k]-d, 0)
				}
			}
		}
		return
	}
}

// flushPending finishes the held fragment, using next (nil at the end of the
// clip) for the durations of its last samples, and writes it.
func (c *Clipper) flushPending(next *pending) error {
	p := c.pend
	c.out.Tracks = c.out.Tracks[:0]
	for i, t := range c.tracks {
		r := &p.runs[i]
		if len(r.samples) == 0 {
			continue
		}
		var nextDTS int64 = -1
		if next != nil && len(next.runs[i].dts) > 0 {
			nextDTS = next.runs[i].dts[0]
		}
		if err := t.durations(r, nextDTS); err != nil {
			return c.locate(err, p.frag, t.num, -1)
		}
		c.out.Tracks = append(c.out.Tracks, mp4.TrackRun{
			TrackID:                t.id,
			BaseDecodeTime:         uint64(r.dts[0]),
			SampleDescriptionIndex: r.sdi,
			Samples:                r.samples,
		})
	}
	var err error
	if c.pc != nil {
		err = c.pc.record(p, &c.out)
	} else {
		err = c.w.WriteFragment(&c.out)
	}
	if err != nil {
		return err
	}
	c.written = true
	return nil
}

// Close writes the last fragment and returns the manifest. With no fragment
// holding media it returns a ResourceNotFound error, as GetClip does.
func (c *Clipper) Close() (*Manifest, error) {
	if c.err != nil {
		return c.Manifest(), c.err
	}
	if c.pend == nil {
		c.err = kvs.New(kvs.ResourceNotFound, kvs.NoFragmentsMessage)
		return c.Manifest(), c.err
	}
	if err := c.flushPending(nil); err != nil {
		c.err = err
		return c.Manifest(), err
	}
	c.pend = nil
	if err := c.w.Flush(); err != nil {
		c.err = err
		return c.Manifest(), err
	}
	c.err = errClosed
	return c.Manifest(), nil
}

var errClosed = kvs.New(kvs.InvalidArgument, "clipper is closed")

// Abort ends a clip that will not be completed, after an error of the
// caller's or a failed Add: it writes nothing more and makes every later
// call fail. The caller may then close or remove the destination.
func (c *Clipper) Abort() {
	if c.err == nil || c.err == errClosed {
		c.err = errAborted
	}
}

var errAborted = kvs.New(kvs.InvalidArgument, "clip aborted")

// Skip records in the manifest a fragment the caller left out of the clip,
// such as one outside the requested range; e.Reason says why. The entry is
// written as given, with Included false. Skip is for callers that select
// fragments themselves, so that the manifest still accounts for every
// fragment of their input.
func (c *Clipper) Skip(e FragmentEntry) {
	e.Included = false
	c.man.Fragments = append(c.man.Fragments, e)
}

// Manifest returns the manifest of what has been added so far.
func (c *Clipper) Manifest() *Manifest {
	m := c.man
	m.Fragments = append([]FragmentEntry(nil), c.man.Fragments...)
	m.Gaps = append([]Gap{}, c.man.Gaps...)
	m.Tracks = make([]TrackEntry, 0, len(c.tracks))
	for _, t := range c.tracks {
		m.Tracks = append(m.Tracks, t.entry())
	}
	return &m
}

// setup builds the output tracks from the first fragment's header and writes
// the MP4 init segment.
func (c *Clipper) setup(f *mkv.Fragment) error {
	h := f.Header
	var video, audio []*track
	for i := range h.Tracks {
		mt := &h.Tracks[i]
		info, err := codec.ParseTrack(mt.CodecID, mt.CodecPrivate, hintOf(mt))
		if err != nil {
			return c.locate(err, f, mt.Number, -1)
		}
		t := newTrack(mt, info, h.TimecodeScale)
		switch info.Kind {
		case codec.Video:
			video = append(video, t)
		case codec.Audio:
			audio = append(audio, t)
		}
	}
	infos := func(ts []*track) []*codec.Track {
		out := make([]*codec.Track, len(ts))
		for i, t := range ts {
			out[i] = t.info
		}
		return out
	}
	if err := c.opts.Profile.check(infos(video), infos(audio)); err != nil {
		return c.locate(err, f, 0, -1)
	}
	c.tracks = append(video, audio...)
	c.byNum = make(map[uint64]*track, len(c.tracks))
	for i, t := range c.tracks {
		t.index, t.id, t.sdi = i, uint32(i+1), 1
		c.byNum[t.num] = t
	}
	c.header = h
	return c.declareAlternates(f)
}

// writeInit writes the MP4 init segment, once the first fragment has set
// each track's presentation delay.
func (c *Clipper) writeInit(f *mkv.Fragment) error {
	out := make([]mp4.Track, len(c.tracks))
	for i, t := range c.tracks {
		if !t.delaySet && t.info.Kind == codec.Video {
			// A track with no frame in the first fragment still gets
			// its delay now: the edit list cannot change later.
			t.setReorder(nil)
		}
		out[i] = mp4.Track{ID: t.id, Timescale: t.timescale, Codec: t.info, EditMediaTime: t.delay}
		for _, a := range t.alts {
			out[i].Alternates = append(out[i].Alternates, a.info)
		}
	}
	if c.open != nil {
		w, err := c.open(out)
		if err != nil {
			return c.locate(err, f, 0, -1)
		}
		c.w = w
		return nil
	}
	w, err := mp4.NewWriter(clipio.NewWriter(c.dst), out)
	if err != nil {
		return c.locate(err, f, 0, -1)
	}
	c.w = w
	return w.WriteInit()
}

// checkHeader enforces the GetClip rules for later fragments: the same tracks
// with the same codec data as the first fragment (spec §1.6).
func (c *Clipper) checkHeader(f *mkv.Fragment) error {
	h := f.Header
	if h == c.header {
		return nil
	}
	if len(h.Tracks) != len(c.byNum) {
		return c.locate(kvs.Errorf(kvs.UnsupportedStreamMediaType,
			"the set of tracks changes: %d tracks, the clip has %d", len(h.Tracks), len(c.byNum)), f, 0, -1)
	}
	for i := range h.Tracks {
		mt := &h.Tracks[i]
		t := c.byNum[mt.Number]
		if t == nil || t.codecID != mt.CodecID {
			return c.locate(kvs.Errorf(kvs.UnsupportedStreamMediaType,
				"the set of tracks changes: track %d is %q", mt.Number, mt.CodecID), f, mt.Number, -1)
		}
		idx := t.description(mt.CodecPrivate)
		switch {
		case idx == 0 && c.opts.AllowCodecChange:
			return c.locate(kvs.New(kvs.InvalidCodecPrivateData,
				"codec private data changes to a configuration not given to NewClipper"), f, mt.Number, -1)
		case idx == 0:
			return c.locate(kvs.New(kvs.InvalidCodecPrivateData,
				"codec private data changes within the clip (AllowCodecChange / --allow-codec-change joins such fragments)"), f, mt.Number, -1)
		case idx != t.sdi:
			t.sdi, t.inject = idx, t.info.Kind == codec.Video
		}
	}
	c.header = h
	return nil
}

// locate gives err the fragment, track and offset where it happened. An error
// without a kind (I/O) is returned unchanged.
func (c *Clipper) locate(err error, f *mkv.Fragment, trackNum uint64, off int64) error {
	kind := kvs.KindOf(err)
	if kind == kvs.Unknown {
		return err
	}
	e := &kvs.Error{Kind: kind, Fragment: f.Name(), Track: trackNum, Offset: off, Msg: err.Error(), Err: err}
	if ke, ok := err.(*kvs.Error); ok {
		e.Msg, e.Err = ke.Msg, ke.Err
		if e.Offset < 0 {
			e.Offset = ke.Offset
		}
	}
	return e
}
