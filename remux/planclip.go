package remux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/mp4"
)

// Payloads is where a planned clip reads its frames' bytes: the stored
// documents its fragments' indexes describe. The clip keeps no payload;
// what a source holds is the clip's memory beyond its indexes.
type Payloads interface {
	// Payload returns the n bytes at offset off (as fragindex.Sample.Offset
	// counts it) of the document of fragment frag, its position in the list
	// given to Plan. The slice must hold exactly n bytes and stay valid and
	// unchanged until the next call; the clip does not change it, so a
	// source holding the documents in memory returns a sub-slice and copies
	// nothing.
	//
	// A write asks, in output order, for one span per fragment it writes:
	// from the first to the end of the last of the fragment's frames that
	// the bytes written cover (Spans lists them ahead). Fragments come in
	// the order of the list, so a source can read ahead in it. Planning
	// asks for single frames, and only those whose bytes change in the MP4
	// (H.264 and H.265 not already 4-byte length-prefixed), in list order.
	Payload(ctx context.Context, frag int, off, n int64) ([]byte, error)
}

// Documents is a Payloads over documents in memory: Documents[i] is the
// stored document of fragment i, and a payload is a sub-slice of it.
type Documents [][]byte

// Payload returns a sub-slice of document frag.
func (d Documents) Payload(_ context.Context, frag int, off, n int64) ([]byte, error) {
	if frag < 0 || frag >= len(d) || off < 0 || n < 0 || off+n > int64(len(d[frag])) {
		return nil, fmt.Errorf("remux: bytes [%d, %d) of fragment %d are not in the documents", off, off+n, frag)
	}
	return d[frag][off : off+n : off+n], nil
}

// ErrPayloadSize is the cause of a PayloadError for a source that returned
// another number of bytes than asked for: a clip is never written short.
var ErrPayloadSize = errors.New("remux: payload source returned the wrong number of bytes")

// ErrPayloadChanged is the cause of a PayloadError for a frame whose bytes
// convert to another size than they did when the clip was planned: the
// stored document is not the one indexed.
var ErrPayloadChanged = errors.New("remux: frame differs from the one planned")

// errNoSource is the cause of a PayloadError when a plan or a write that
// needs payloads was given no source.
var errNoSource = errors.New("remux: no payload source")

// PayloadError is a failure of a planned clip's payload source, or bytes
// from it that do not fit the plan. Its KVS kind is that of its cause
// (kvs.Unknown, an internal failure, for a plain I/O error).
type PayloadError struct {
	// Fragment names the fragment as errors do: its number, or "#N".
	Fragment string
	// Offset and Size are the span asked for in the fragment's document.
	Offset, Size int64
	// Err is the cause: the source's error, ErrPayloadSize or
	// ErrPayloadChanged.
	Err error
}

func (e *PayloadError) Error() string {
	return fmt.Sprintf("payload of fragment %s, bytes [%d, %d): %v", e.Fragment, e.Offset, e.Offset+e.Size, e.Err)
}

// Unwrap returns the cause.
func (e *PayloadError) Unwrap() error { return e.Err }

// KVSKind is the kind of the cause.
func (e *PayloadError) KVSKind() kvs.Kind { return kvs.KindOf(e.Err) }

// PlanOptions tunes a planned clip: the Options of any clip, its layout
// and how the caller numbers its fragments.
type PlanOptions struct {
	Options
	// Format is the layout: FormatFMP4 (the default), a fragmented MP4
	// with its duration (mehd) and a segment index (sidx), or FormatMP4,
	// progressive.
	Format Format
	// Inputs numbers the fragments as the caller's input does: Inputs[i]
	// is fragment i's FragmentEntry.Index in the manifest, and its "#N" in
	// errors when it has no fragment number. Nil numbers them by their
	// position in the list.
	Inputs []int
}

// PlannedClip is a clip planned from its fragments' sample indexes: its
// layout, its exact size and every header byte are known before a payload
// is read, and any byte range of it can be written on its own, reading
// only the payloads the range covers. It holds the indexes, one small
// record per sample (timing and size) and the headers; payloads come from
// its Payloads at each write.
//
// A PlannedClip does not change once made, so it can be written, whole or
// by ranges, any number of times and from several goroutines at once (as
// far as its Payloads allows).
type PlannedClip struct {
	frags   []*fragindex.Index
	inputs  []int
	src     Payloads // for planning; each write has its own
	format  Format
	tracks  []*track    // the clip's tracks, for converting frames
	mtracks []mp4.Track // the same as laid out
	// initTracks are the tracks an fMP4's init segment describes (those
	// with samples), duration its mehd's; origin is the clip's time 0,
	// in ns on the input's time line (Origin).
	initTracks []mp4.Track
	duration   uint64
	origin     int64

	// header is ftyp, moov (with mehd) and sidx of an fMP4, or ftyp, moov
	// and the mdat header of a progressive MP4.
	header  []byte
	size    int64
	out     []plannedFragment
	runs    []plannedRun
	samples []mp4.Sample // Data nil, Size the bytes in the MP4
	src2    []uint32     // per sample: block index and src flags
	sets    map[setsKey][]byte

	man *Manifest
	err error
	// free keeps the writers of finished writes, with their buffers, for
	// the next ones, so that writing a clip again allocates nothing. (A
	// sync.Pool would drop some under the race detector, and is no
	// cheaper for the few writes a clip has at once.)
	mu   sync.Mutex
	free []*clipWriter
}

// plannedFragment is one fragment of the output.
type plannedFragment struct {
	pos        int   // in the list given to Plan
	runs, rend int   // its runs in PlannedClip.runs
	at         int64 // where its moof (fMP4) or first chunk (MP4) starts
	head       int64 // moof and mdat header bytes (fMP4)
	size       int64 // head and payload bytes
}

// plannedRun is one track's samples in one fragment.
type plannedRun struct {
	track  int
	run    mp4.TrackRun // without Samples
	lo, hi int          // its samples in PlannedClip.samples
}

// setsKey names the parameter sets of one sample description.
type setsKey struct {
	track int
	sdi   uint32
}

// Where a sample's bytes come from (run.src): the low bits index the
// block in its fragment; srcConvert marks a frame whose bytes change in
// the MP4, converted again at each write; srcInject one that follows the
// parameter sets of its sample description (a codec change).
const (
	srcInject  uint32 = 1 << 31
	srcConvert uint32 = 1 << 30
	srcIndex          = srcConvert - 1
)

// maxIndexSamples is the most samples a fragment's index may hold: a
// block index must fit src's low 30 bits. A KVS fragment of 50 MB holds
// far fewer frames (a block takes at least a few bytes of Matroska).
const maxIndexSamples = int(srcIndex)

// planner is the planning state a Clipper uses through its pc hooks.
type planner struct {
	ctx  context.Context
	clip *PlannedClip
	pos  int // the fragment being added
	lay  layout
	fh   *mp4.FragmentHeader
}

// Plan plans a clip of the fragments, in the order given, from their
// sample indexes: the timing and codec rules of a Clipper, laid out as
// opts.Format says (FormatFMP4 with mehd and sidx, or FormatMP4). Payloads
// are read only for frames whose bytes change in the MP4. With
// AllowCodecChange every header of the indexes is a configuration of the
// clip (as those given to NewClipper are). A fragment's manifest entry
// gives its Index.DocSize as its Bytes.
//
// The clip is returned also when planning fails, for its Manifest, which
// describes the fragments planned so far; its writes then return the
// error. Errors are *kvs.Error values, whose Offset counts in the
// fragment's document as the index does, or *PayloadError for a failure
// of src.
func Plan(ctx context.Context, frags []*fragindex.Index, src Payloads, opts *PlanOptions) (*PlannedClip, error) {
	var o PlanOptions
	if opts != nil {
		o = *opts
	}
	pc := &PlannedClip{frags: frags, inputs: o.Inputs, src: src, format: o.Format, sets: map[setsKey][]byte{}}
	pl := &planner{ctx: ctx, clip: pc}
	c := &Clipper{opts: o.Options, pc: pl}
	c.open = pl.open
	pc.err = pl.plan(c)
	// A planned clip may outlive the request that planned it (a service
	// keeps plans for the next requests of the same clip): it keeps no
	// hold on that request's source.
	pc.src = nil
	pc.man = c.Manifest()
	if pc.err == nil {
		pc.tracks, pc.origin = c.tracks, c.origin
		pc.err = pl.finish()
	}
	return pc, pc.err
}

// plan adds every fragment to c and ends the clip.
func (pl *planner) plan(c *Clipper) error {
	pc := pl.clip
	if pc.inputs != nil && len(pc.inputs) != len(pc.frags) {
		return kvs.Errorf(kvs.InvalidArgument, "%d input numbers for %d fragments", len(pc.inputs), len(pc.frags))
	}
	for i, x := range pc.frags {
		if err := checkIndex(x); err != nil {
			return &kvs.Error{Kind: kvs.InvalidArgument, Fragment: "#" + fmt.Sprint(pc.input(i)), Offset: -1, Msg: err.Error()}
		}
		if c.opts.AllowCodecChange && x.Header != nil && (len(c.expected) == 0 || c.expected[len(c.expected)-1] != x.Header) {
			c.expected = append(c.expected, x.Header)
		}
	}
	// The clip's tables are as long as the indexes say: sized once, they
	// are not regrown fragment by fragment (a third of planning's time).
	samples := 0
	for _, x := range pc.frags {
		samples += len(x.Samples)
	}
	pc.samples = make([]mp4.Sample, 0, samples)
	pc.src2 = make([]uint32, 0, samples)
	pc.out = make([]plannedFragment, 0, len(pc.frags))
	var blocks []mkv.Block
	for i, x := range pc.frags {
		if err := pl.ctx.Err(); err != nil {
			return err
		}
		// The clipper holds a fragment back, so each gets its own
		// Fragment; the blocks are read only while it is added.
		f := &mkv.Fragment{Header: x.Header, Timecode: x.Timecode, Tags: x.Tags, Index: pc.input(i), Size: x.DocSize, Truncated: x.Truncated}
		blocks = blocks[:0]
		for _, s := range x.Samples {
			blocks = append(blocks, mkv.Block{
				Track: s.Track, Time: s.Time, Lace: s.Lace,
				Keyframe: s.Flags&fragindex.Keyframe != 0, Invisible: s.Flags&fragindex.Invisible != 0,
				Discardable: s.Flags&fragindex.Discardable != 0,
				Duration:    s.Duration, HasDuration: s.Flags&fragindex.HasDuration != 0,
				Offset: s.Offset,
			})
		}
		f.Blocks = blocks
		pl.pos = i
		err := c.Add(f)
		f.Blocks = nil
		if err != nil {
			return err
		}
	}
	if c.pend == nil {
		return kvs.New(kvs.ResourceNotFound, kvs.NoFragmentsMessage)
	}
	if err := c.flushPending(nil); err != nil {
		return err
	}
	c.pend = nil
	return nil
}

// checkIndex refuses an index a plan cannot use: without a header, with
// more samples than a plan numbers, or with a sample outside its document.
func checkIndex(x *fragindex.Index) error {
	switch {
	case x == nil:
		return errors.New("no fragment index")
	case x.Header == nil && len(x.Samples) > 0:
		// A fragment without Tracks can have no frames; one with
		// neither is skipped as having no media, as a Clipper does.
		return errors.New("fragment index without a header")
	case len(x.Samples) > maxIndexSamples:
		return fmt.Errorf("fragment index of %d samples (at most %d)", len(x.Samples), maxIndexSamples)
	}
	for i := range x.Samples {
		s := &x.Samples[i]
		if s.Offset < 0 || s.Offset+int64(s.Size) > x.DocSize {
			return fmt.Errorf("sample %d at [%d, %d) is outside the document's %d bytes", i, s.Offset, s.Offset+int64(s.Size), x.DocSize)
		}
	}
	return nil
}

// input is fragment i's number in the caller's input.
func (pc *PlannedClip) input(i int) int {
	if pc.inputs != nil {
		return pc.inputs[i]
	}
	return i
}

// name is fragment i's name in errors, as mkv.Fragment.Name gives it.
func (pc *PlannedClip) name(i int) string {
	if n := pc.frags[i].Tags.FragmentNumber; n != "" {
		return n
	}
	return "#" + fmt.Sprint(pc.input(i))
}

// open is the Clipper's open hook: the layout of the chosen format for the
// tracks, and no sink, since pc records the fragments.
func (pl *planner) open(tracks []mp4.Track) (sink, error) {
	if pl.clip.format == FormatMP4 {
		p, err := mp4.NewProgressive(tracks)
		if err != nil {
			return nil, err
		}
		pl.lay.tracks, pl.lay.prog = tracks, p
		return noSink{}, nil
	}
	fh, err := mp4.NewFragmentHeader(tracks)
	if err != nil {
		return nil, err
	}
	pl.fh = fh
	pl.lay.startIndex(tracks)
	return noSink{}, nil
}

// noSink stands for the sink of a clip planned from indexes, whose
// fragments go to planner.record.
type noSink struct{}

func (noSink) WriteFragment(*mp4.Fragment) error { return nil }
func (noSink) Flush() error                      { return nil }

// frame is collect's hook for the size of block i of f, a fragment made
// from the index being added: the size it takes in the MP4, its G.711
// length, and where its bytes come from (src).
func (pl *planner) frame(f *mkv.Fragment, i int, t *track) (uint32, int64, uint32, error) {
	s := &pl.clip.frags[pl.pos].Samples[i]
	n, ok, err := t.frameSize(s.Size, s.Flags)
	if err != nil || ok {
		return s.Size, n, uint32(i), err
	}
	data, err := pl.clip.read(pl.ctx, pl.clip.src, pl.pos, s.Offset, int64(s.Size))
	if err != nil {
		return 0, 0, 0, err
	}
	out, _, err := t.frame(data)
	if err != nil {
		return 0, 0, 0, err
	}
	if len(out) > math.MaxUint32 {
		return 0, 0, 0, kvs.Errorf(kvs.InvalidMediaFrame, "frame of %d bytes", len(out))
	}
	src := uint32(i)
	if !sameBytes(out, data) {
		src |= srcConvert
	}
	return uint32(len(out)), 0, src, nil
}

// sameBytes reports whether a and b are the same memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// parameterSets returns the parameter sets of track t's description sdi,
// made once per clip.
func (pl *planner) parameterSets(t *track, sdi uint32) []byte {
	k := setsKey{t.index, sdi}
	sets, ok := pl.clip.sets[k]
	if !ok {
		sets = t.parameterSets(sdi)
		pl.clip.sets[k] = sets
	}
	return sets
}

// record keeps fragment p, timed as f, and lays it out.
func (pl *planner) record(p *pending, f *mp4.Fragment) error {
	pc := pl.clip
	fr := plannedFragment{pos: p.pos, runs: len(pc.runs)}
	if pl.lay.prog != nil {
		if err := pl.lay.prog.Plan(f); err != nil {
			return err
		}
		for i := range f.Tracks {
			for j := range f.Tracks[i].Samples {
				fr.size += int64(f.Tracks[i].Samples[j].Size)
			}
		}
	} else {
		head, payload, err := pl.fh.Plan(f)
		if err != nil {
			return err
		}
		fr.head, fr.size = int64(head), int64(head)+payload
		pl.lay.measure(f, fr.size)
	}
	for i := range p.runs {
		r := &p.runs[i]
		if len(r.samples) == 0 {
			continue
		}
		pr := plannedRun{track: i, lo: len(pc.samples)}
		pr.run = mp4.TrackRun{TrackID: pl.lay.tracks[i].ID, BaseDecodeTime: uint64(r.dts[0]), SampleDescriptionIndex: r.sdi}
		pc.samples = append(pc.samples, r.samples...)
		pc.src2 = append(pc.src2, r.src...)
		pr.hi = len(pc.samples)
		pc.runs = append(pc.runs, pr)
	}
	fr.rend = len(pc.runs)
	pc.out = append(pc.out, fr)
	return nil
}

// finish lays the planned fragments out behind the clip's header.
func (pl *planner) finish() error {
	pc := pl.clip
	pc.mtracks = pl.lay.tracks
	var err error
	if pl.lay.prog != nil {
		pc.header, err = pl.lay.prog.Header()
	} else {
		pl.lay.finishIndex()
		pc.initTracks, pc.duration = pl.lay.initTracks, pl.lay.idx.Duration
		pc.header, err = mp4.IndexedInit(pl.lay.initTracks, &pl.lay.idx)
	}
	if err != nil {
		return err
	}
	at := int64(len(pc.header))
	for i := range pc.out {
		pc.out[i].at = at
		at += pc.out[i].size
	}
	pc.size = at
	return nil
}

// Size returns the clip's exact length in bytes, or the planning error.
func (pc *PlannedClip) Size() (int64, error) {
	return pc.size, pc.err
}

// Manifest returns what the clip holds; after a failed Plan, what was
// planned before the failure. The caller may change the copy it gets
// (Truncated, NextStart, entries of fragments it left out).
func (pc *PlannedClip) Manifest() *Manifest {
	m := *pc.man
	m.Fragments = append([]FragmentEntry(nil), pc.man.Fragments...)
	m.Gaps = append([]Gap{}, pc.man.Gaps...)
	m.Tracks = append([]TrackEntry(nil), pc.man.Tracks...)
	return &m
}

// WriteTo writes the whole clip to w, its payloads read from src.
func (pc *PlannedClip) WriteTo(ctx context.Context, w io.Writer, src Payloads) error {
	return pc.WriteRange(ctx, w, src, 0, pc.size)
}

// Span is a part of a fragment's document that a write reads.
type Span struct {
	// Fragment is the fragment's position in the list given to Plan.
	Fragment int
	// Offset and Size delimit the bytes in its document.
	Offset, Size int64
}

// Spans lists, in order, the payload reads WriteRange(start, end) makes:
// for a source that reads ahead, what it will be asked for.
func (pc *PlannedClip) Spans(start, end int64) []Span {
	if pc.err != nil || checkRange(start, end, pc.size) != nil {
		return nil
	}
	var spans []Span
	for k := pc.first(start); k < len(pc.out) && pc.out[k].at < end; k++ {
		if lo, hi := pc.span(k, pc.out[k].at+pc.out[k].head, start, end, allTracks); hi > lo {
			spans = append(spans, Span{Fragment: pc.out[k].pos, Offset: lo, Size: hi - lo})
		}
	}
	return spans
}

// checkRange checks [start, end) against a clip of size bytes.
func checkRange(start, end, size int64) error {
	if start < 0 || end > size || start >= end {
		return kvs.Errorf(kvs.InvalidArgument, "range [%d, %d) is not within the clip's %d bytes", start, end, size)
	}
	return nil
}

// first returns the first output fragment that ends after start.
func (pc *PlannedClip) first(start int64) int {
	return sort.Search(len(pc.out), func(k int) bool { return pc.out[k].at+pc.out[k].size > start })
}

// allTracks, as the track a write keeps, keeps every track.
const allTracks = -1

// span returns the bytes of output fragment k's document that hold the
// frames of [start, end), lo == hi when none: of every track, or of track
// only alone, their payloads laid out from at.
func (pc *PlannedClip) span(k int, at, start, end int64, only int) (lo, hi int64) {
	fr := &pc.out[k]
	x := pc.frags[fr.pos]
	lo, hi = math.MaxInt64, 0
	for _, r := range pc.runs[fr.runs:fr.rend] {
		if only != allTracks && r.track != only {
			continue
		}
		for j := r.lo; j < r.hi; j++ {
			size := int64(pc.samples[j].Size)
			if at < end && at+size > start {
				s := &x.Samples[pc.src2[j]&srcIndex]
				lo, hi = min(lo, s.Offset), max(hi, s.Offset+int64(s.Size))
			}
			at += size
		}
	}
	if hi == 0 {
		return 0, 0
	}
	return lo, hi
}

// read asks src for a span and holds it to its length.
func (pc *PlannedClip) read(ctx context.Context, src Payloads, pos int, off, n int64) ([]byte, error) {
	if src == nil {
		return nil, &PayloadError{Fragment: pc.name(pos), Offset: off, Size: n, Err: errNoSource}
	}
	b, err := src.Payload(ctx, pos, off, n)
	if err == nil && int64(len(b)) != n {
		err = fmt.Errorf("%w: %d bytes for %d", ErrPayloadSize, len(b), n)
	}
	if err != nil {
		return nil, &PayloadError{Fragment: pc.name(pos), Offset: off, Size: n, Err: err}
	}
	return b, nil
}

// WriteRange writes bytes [start, end) of the clip to w: the headers
// of the fragments the range covers, made again, and the payloads of the
// frames it covers, read from src one span per fragment (Spans lists them).
// Nothing before start is read, nor made beyond the moof of the fragment
// start falls in. src is the source of this write: the one given to Plan,
// or one that reads ahead the spans of this range (ReadAhead).
func (pc *PlannedClip) WriteRange(ctx context.Context, w io.Writer, src Payloads, start, end int64) error {
	if pc.err != nil {
		return pc.err
	}
	if err := checkRange(start, end, pc.size); err != nil {
		return err
	}
	cw, err := pc.writer()
	if err != nil {
		return err
	}
	defer pc.put(cw)
	cw.ctx, cw.src, cw.start, cw.end = ctx, src, start, end
	cw.out.Reset(w)
	// Whatever happens, the writer goes back without the caller's
	// memory.
	defer cw.release()
	if err := cw.piece(pc.header, 0); err != nil {
		return err
	}
	for k := pc.first(start); k < len(pc.out) && pc.out[k].at < end; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := cw.fragment(k); err != nil {
			return err
		}
	}
	return cw.out.Flush()
}

// writer returns a free clipWriter of the clip's, or a new one.
func (pc *PlannedClip) writer() (*clipWriter, error) {
	pc.mu.Lock()
	if n := len(pc.free); n > 0 {
		cw := pc.free[n-1]
		pc.free = pc.free[:n-1]
		pc.mu.Unlock()
		return cw, nil
	}
	pc.mu.Unlock()
	cw := &clipWriter{pc: pc, out: clipio.NewWriter(nil)}
	if pc.format != FormatMP4 {
		fh, err := mp4.NewFragmentHeader(pc.mtracks)
		if err != nil {
			return nil, err
		}
		cw.fh = fh
	}
	return cw, nil
}

// clipWriter is one WriteRange at a time: its buffers are reused from
// fragment to fragment and, through PlannedClip.free, from write to
// write, so a write allocates nothing per sample.
type clipWriter struct {
	pc         *PlannedClip
	ctx        context.Context
	src        Payloads
	out        *clipio.Writer
	start, end int64
	fh         *mp4.FragmentHeader
	frag       mp4.Fragment
	moof       []byte
	conv       []byte // converted frames of the fragment being written
}

// maxFreeWriters bounds the writers a clip keeps for its next writes.
// Each holds its gather buffer (a few hundred KB); a clip written by many
// requests at once keeps a few, not one per request, once they are done.
const maxFreeWriters = 2

// put keeps cw for the next write, if the clip keeps fewer than
// maxFreeWriters.
func (pc *PlannedClip) put(cw *clipWriter) {
	pc.mu.Lock()
	if len(pc.free) < maxFreeWriters {
		pc.free = append(pc.free, cw)
	}
	pc.mu.Unlock()
}

// release lets go of the caller's writer, source and context before the
// clipWriter goes back to the pool.
func (cw *clipWriter) release() {
	cw.out.Reset(nil)
	cw.ctx, cw.src = nil, nil
}

// piece writes what of b, which is at offset at of the clip, falls in the
// range.
func (cw *clipWriter) piece(b []byte, at int64) error {
	lo, hi := max(cw.start-at, 0), min(cw.end-at, int64(len(b)))
	if lo >= hi {
		return nil
	}
	return cw.out.Add(b[lo:hi])
}

// fragment writes what of output fragment k falls in the range.
func (cw *clipWriter) fragment(k int) error {
	fr := &cw.pc.out[k]
	if fr.head > 0 && fr.at+fr.head > cw.start {
		if _, _, err := cw.planMoof(k, nil); err != nil {
			return err
		}
		cw.moof = cw.fh.Append(cw.moof[:0], uint32(k+1))
		if err := cw.piece(cw.moof, fr.at); err != nil {
			return err
		}
	}
	return cw.payloads(k, fr.at+fr.head, allTracks)
}

// planMoof lays out the moof of output fragment k in cw.fh: its runs as
// planned, or those segs keeps, their decode times moved onto its time
// line. It returns the sizes FragmentHeader.Plan does.
func (cw *clipWriter) planMoof(k int, segs *Segments) (head int, payload int64, err error) {
	pc := cw.pc
	fr := &pc.out[k]
	cw.frag.Tracks = cw.frag.Tracks[:0]
	for _, r := range pc.runs[fr.runs:fr.rend] {
		tr := r.run
		if segs != nil {
			if segs.only != allTracks && r.track != segs.only {
				continue
			}
			tr.BaseDecodeTime = uint64(int64(tr.BaseDecodeTime) + segs.shift[r.track])
		}
		tr.Samples = pc.samples[r.lo:r.hi]
		cw.frag.Tracks = append(cw.frag.Tracks, tr)
	}
	return cw.fh.Plan(&cw.frag)
}

// payloads writes what of output fragment k's payloads falls in the
// range: of every track, or of track only alone, laid out from at.
func (cw *clipWriter) payloads(k int, at int64, only int) error {
	pc := cw.pc
	fr := &pc.out[k]
	lo, hi := pc.span(k, at, cw.start, cw.end, only)
	if hi <= lo {
		return cw.out.Flush()
	}
	doc, err := pc.read(cw.ctx, cw.src, fr.pos, lo, hi-lo)
	if err != nil {
		return err
	}
	x := pc.frags[fr.pos]
	cw.conv = cw.conv[:0]
	for _, r := range pc.runs[fr.runs:fr.rend] {
		if only != allTracks && r.track != only {
			continue
		}
		t := pc.tracks[r.track]
		for j := r.lo; j < r.hi && at < cw.end; j++ {
			size := int64(pc.samples[j].Size)
			if at+size <= cw.start {
				at += size
				continue
			}
			src := pc.src2[j]
			if src&srcInject != 0 {
				sets := pc.sets[setsKey{r.track, r.run.SampleDescriptionIndex}]
				if err := cw.piece(sets, at); err != nil {
					return err
				}
				at += int64(len(sets))
				size -= int64(len(sets))
			}
			s := &x.Samples[src&srcIndex]
			b := doc[s.Offset-lo : s.Offset-lo+int64(s.Size)]
			if src&srcConvert != 0 {
				if b, err = cw.convert(t, b, size, fr.pos, s.Offset); err != nil {
					return err
				}
			}
			if err := cw.piece(b, at); err != nil {
				return err
			}
			at += size
		}
	}
	// The span is valid until the next read: out with it.
	return cw.out.Flush()
}

// convert converts a frame again as it was when the clip was planned, to
// size bytes.
func (cw *clipWriter) convert(t *track, b []byte, size int64, pos int, off int64) ([]byte, error) {
	n := len(cw.conv)
	out, err := t.appendFrame(cw.conv, b)
	if err == nil && (sameBytes(out, b) || int64(len(out)-n) != size) {
		err = ErrPayloadChanged
	}
	if err != nil {
		return nil, &PayloadError{Fragment: cw.pc.name(pos), Offset: off, Size: int64(len(b)), Err: err}
	}
	cw.conv = out
	return out[n:], nil
}
