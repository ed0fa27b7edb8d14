package mp4

import (
	"encoding/binary"
	"io"
	"math"
	bits64 "math/bits"

	"github.com/Eyevinn/mp4ff/bits"
	mp4ff "github.com/Eyevinn/mp4ff/mp4"

	"github.com/kvsclip/kvsclip/kvs"
)

// Progressive writes a progressive (non-fragmented) MP4: ftyp, a moov with
// complete sample tables, then one mdat with every payload. A player that
// gets the moov first knows the duration and every sample's place, so it
// can seek with byte ranges before the rest has arrived.
//
// Such a file cannot be written as the fragments come: the moov describes
// samples that follow it. So a Progressive is used in two passes over the
// same fragments. First Plan is called for each fragment, which records
// sizes, durations, composition offsets and sync flags but keeps no
// payload; then Size gives the exact file size, WriteHeader writes ftyp,
// moov and the mdat header, and WriteFragment is called again for every
// fragment, in the same order with the same samples, to stream the
// payloads. Each fragment becomes one chunk per track, in the order of its
// runs, so the mdat holds the bytes in the order a fragmented MP4 would.
//
// Gaps between fragments (a decode time past the end of the previous
// sample) are kept by lengthening the sample before the gap: the file has
// no tfdt to jump with, and every sample keeps its time. A track that
// starts later than the clip, or B-frame delay (Track.EditMediaTime), is
// expressed with an edit list, as in the fragmented output. A track that
// no fragment has a sample of is left out of the moov; the others keep
// their IDs.
type Progressive struct {
	tracks []Track
	ids    []uint32
	descs  []uint32
	tabs   []sampleTable
	chunks []chunk
	hdr    fragmentHeader

	payload  int64
	header   []byte // ftyp+moov+mdat header, once finished
	finished bool

	// The writing pass.
	w       io.Writer
	vw      VectorWriter // w, when it is one
	out     pieces
	next    int   // chunk to write next
	cursor  []int // per track: samples written
	started bool
	written int64
	err     error
}

// sampleTable is one track's samples as Plan saw them.
type sampleTable struct {
	sizes   []uint32
	durs    []uint32
	ctos    []int32
	sync    []uint32 // 1-based numbers of sync samples
	allSync bool
	negCTO  bool
	anyCTO  bool
	// first is the decode time of the first sample on the fragmented
	// time line (its tfdt), end that of the end of the last sample.
	first, end uint64
	started    bool
	// minCTS is the earliest composition time on this file's media time
	// line, which starts at the first sample's decode time.
	minCTS int64
	// maxEnd is the latest end of a sample's presentation (composition
	// time plus duration) on the same time line.
	maxEnd  int64
	chunks  []int // indexes into Progressive.chunks
	offsets []uint64
}

// chunk is one run of one fragment: a chunk of the mdat.
type chunk struct {
	track   int
	samples int
	bytes   int64
	sdi     uint32
}

// NewProgressive returns a Progressive for the tracks, validated as
// NewWriter validates them.
func NewProgressive(tracks []Track) (*Progressive, error) {
	if err := validateTracks(tracks); err != nil {
		return nil, err
	}
	p := &Progressive{
		tracks: append([]Track(nil), tracks...),
		tabs:   make([]sampleTable, len(tracks)),
		cursor: make([]int, len(tracks)),
	}
	for i := range tracks {
		p.ids = append(p.ids, tracks[i].ID)
		p.descs = append(p.descs, uint32(1+len(tracks[i].Alternates)))
		p.tabs[i].allSync = true
	}
	return p, nil
}

// Plan records the samples of one fragment. Their Data is only measured,
// and a sample may be described by Sample.Size without Data; the caller
// must pass the same fragment, with the same payloads, to WriteFragment in
// the writing pass, or write the payloads itself after Header. A fragment
// without samples adds nothing.
func (p *Progressive) Plan(f *Fragment) error {
	if p.finished {
		return kvs.Errorf(kvs.InvalidArgument, "fragment planned after the plan was finished: %w", ErrWriteOrder)
	}
	h := &p.hdr
	h.sizes = true
	if err := h.plan(f, p.ids, p.descs); err != nil {
		return err
	}
	p.out.reserve(h.trafs)
	for i := range h.trafs {
		r := h.trafs[i].run
		k := p.trackIndex(r.TrackID)
		t := &p.tabs[k]
		if !t.started {
			t.first, t.end, t.started = r.BaseDecodeTime, r.BaseDecodeTime, true
		}
		switch {
		case r.BaseDecodeTime < t.end:
			return kvs.Errorf(kvs.InvalidArgument, "track %d: run starts at %d, before the end of the previous sample at %d: %w",
				r.TrackID, r.BaseDecodeTime, t.end, ErrInvalidFragment)
		case r.BaseDecodeTime > t.end:
			// A gap: the sample before it lasts until the run starts.
			last := &t.durs[len(t.durs)-1]
			d := uint64(*last) + r.BaseDecodeTime - t.end
			if d > math.MaxUint32 {
				return kvs.Errorf(kvs.InvalidArgument, "track %d: a gap of %d units does not fit a sample duration: %w",
					r.TrackID, r.BaseDecodeTime-t.end, ErrInvalidFragment)
			}
			*last = uint32(d)
			t.end = r.BaseDecodeTime
		}
		for j := range r.Samples {
			s := &r.Samples[j]
			cts := int64(t.end-t.first) + int64(s.CompositionOffset)
			if len(t.sizes) == 0 || cts < t.minCTS {
				t.minCTS = cts
			}
			t.sizes = append(t.sizes, uint32(s.size()))
			t.durs = append(t.durs, s.Duration)
			t.ctos = append(t.ctos, s.CompositionOffset)
			t.anyCTO = t.anyCTO || s.CompositionOffset != 0
			t.negCTO = t.negCTO || s.CompositionOffset < 0
			if s.Sync {
				t.sync = append(t.sync, uint32(len(t.sizes)))
			} else {
				t.allSync = false
			}
			t.end += uint64(s.Duration)
			t.maxEnd = max(t.maxEnd, cts+int64(s.Duration))
		}
		if len(t.sizes) > math.MaxUint32/2 {
			return kvs.Errorf(kvs.InvalidArgument, "track %d has too many samples: %w", r.TrackID, ErrInvalidFragment)
		}
		sdi := max(r.SampleDescriptionIndex, 1)
		t.chunks = append(t.chunks, len(p.chunks))
		p.chunks = append(p.chunks, chunk{track: k, samples: len(r.Samples), bytes: h.trafs[i].payload, sdi: sdi})
		p.payload += h.trafs[i].payload
	}
	return nil
}

func (p *Progressive) trackIndex(id uint32) int {
	for i, x := range p.ids {
		if x == id {
			return i
		}
	}
	return -1
}

// Size finishes the plan and returns the size of the whole file in bytes.
// After it, Plan is refused.
func (p *Progressive) Size() (int64, error) {
	if err := p.finish(); err != nil {
		return 0, err
	}
	return int64(len(p.header)) + p.payload, nil
}

// Header finishes the plan, as Size does, and returns ftyp, moov and the
// mdat header: what WriteHeader writes, for a caller that writes the
// payloads itself, chunk by chunk in the order of the planned fragments
// (each fragment's runs in order). The slice is the Progressive's own and
// must not be changed.
func (p *Progressive) Header() ([]byte, error) {
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.header, nil
}

// finish lays the file out: the moov is built twice, first to learn its
// size (which fixes where the mdat starts), then with the real chunk
// offsets; 64-bit offsets (co64) are used only when the last chunk starts
// past 4 GiB.
func (p *Progressive) finish() error {
	if p.finished {
		return nil
	}
	if len(p.chunks) == 0 {
		return kvs.Errorf(kvs.InvalidArgument, "no samples planned: %w", ErrInvalidFragment)
	}
	ftyp := encodeBox(mp4ff.NewFtyp("isom", 0x200, progressiveBrands(p.tracks)))
	mdatHdr := mdatHeader(p.payload)
	start := func(co64 bool) (uint64, error) {
		moov, err := p.buildMoov(0, co64)
		return uint64(len(ftyp) + len(moov) + len(mdatHdr)), err
	}
	co64 := false
	first, err := start(false)
	if err != nil {
		return err
	}
	if first+uint64(p.payload-p.chunks[len(p.chunks)-1].bytes) > math.MaxUint32 {
		co64 = true
		if first, err = start(true); err != nil {
			return err
		}
	}
	moov, err := p.buildMoov(first, co64)
	if err != nil {
		return err
	}
	p.header = append(append(ftyp, moov...), mdatHdr...)
	p.finished = true
	return nil
}

// progressiveBrands: isom is the base brand of a plain MP4, iso2 covers
// ctts version 1, mp41 lets MP4 v1-era players in, avc1 says H.264 is in
// the 14496-15 layout.
func progressiveBrands(tracks []Track) []string {
	b := []string{"isom", "iso2", "mp41"}
	for i := range tracks {
		if tracks[i].Codec.SampleEntry == "avc1" {
			return append(b, "avc1")
		}
	}
	return b
}

// mdatHeader is the mdat box header for payload bytes: the 64-bit form only
// when the box does not fit 32 bits.
func mdatHeader(payload int64) []byte {
	if payload+8 <= math.MaxUint32 {
		b := make([]byte, 8)
		putBoxHeader(b, 0, int(payload+8), "mdat")
		return b
	}
	b := make([]byte, 16)
	binary.BigEndian.PutUint32(b, 1)
	copy(b[4:], "mdat")
	binary.BigEndian.PutUint64(b[8:], uint64(payload+16))
	return b
}

func encodeBox(b mp4ff.Box) []byte {
	sw := bits.NewFixedSliceWriter(int(b.Size()))
	if err := b.EncodeSW(sw); err != nil {
		panic("mp4: encoding a box built here: " + err.Error())
	}
	return sw.Bytes()
}

// movieScale is the progressive file's movie timescale: the first track's,
// so that the edit lists of that track (video) are exact.
func (p *Progressive) movieScale() uint32 { return p.tracks[0].Timescale }

// toMovie converts track units to movie units, rounding to the nearest.
func (p *Progressive) toMovie(v uint64, ts uint32) uint64 {
	ms := uint64(p.movieScale())
	if ts == uint32(ms) {
		return v
	}
	hi, lo := bits64.Mul64(v, ms)
	lo, carry := bits64.Add64(lo, uint64(ts)/2, 0)
	hi += carry
	if hi >= uint64(ts) {
		return math.MaxUint64 / 2
	}
	q, _ := bits64.Div64(hi, lo, uint64(ts))
	return q
}

// buildMoov encodes the moov with chunk offsets counted from mdatStart.
func (p *Progressive) buildMoov(mdatStart uint64, co64 bool) ([]byte, error) {
	// Chunk offsets in file order.
	off := mdatStart
	for k := range p.tabs {
		p.tabs[k].offsets = p.tabs[k].offsets[:0]
	}
	starts := make([]uint64, len(p.chunks))
	for i, c := range p.chunks {
		starts[i] = off
		off += uint64(c.bytes)
	}
	for k := range p.tabs {
		for _, ci := range p.tabs[k].chunks {
			p.tabs[k].offsets = append(p.tabs[k].offsets, starts[ci])
		}
	}

	moov := mp4ff.NewMoovBox()
	mvhd := mp4ff.CreateMvhd()
	mvhd.Timescale = p.movieScale()
	var maxID uint32
	var movieDur uint64
	traks := make([]*mp4ff.TrakBox, 0, len(p.tracks))
	for i := range p.tracks {
		t := &p.tracks[i]
		maxID = max(maxID, t.ID)
		if len(p.tabs[i].sizes) == 0 {
			// A track the clip has no sample of (video whose fragments
			// hold no key frame) is left out: readers take a first
			// track with an empty sample table for a fragmented file's
			// (mp4ff), or fail to find its format (ffmpeg).
			continue
		}
		trak, dur, err := p.buildTrak(i)
		if err != nil {
			return nil, err
		}
		traks = append(traks, trak)
		movieDur = max(movieDur, dur)
		stbl := trak.Mdia.Minf.Stbl
		stbl.Children = append(append(stbl.Children[:1], p.tabs[i].boxes()...), p.chunkBoxes(i, co64)...)
	}
	mvhd.NextTrackID = maxID + 1
	mvhd.Duration = movieDur
	if movieDur > math.MaxUint32 {
		mvhd.Version = 1
	}
	moov.AddChild(mvhd)
	for _, trak := range traks {
		moov.AddChild(trak)
	}
	return encodeBox(moov), nil
}

// buildTrak builds track i's trak with its stsd, durations and edit list;
// the sample tables are put in by buildMoov. It returns the track's
// presentation length in movie units.
func (p *Progressive) buildTrak(i int) (*mp4ff.TrakBox, uint64, error) {
	t := p.tracks[i]
	tab := &p.tabs[i]
	edit := t.EditMediaTime
	t.EditMediaTime = 0 // the edit list is written below, with durations
	trak, err := buildTrak(&t)
	if err != nil {
		return nil, 0, err
	}
	media := tab.end - tab.first
	trak.Mdia.Mdhd.Duration = media
	if media > math.MaxUint32 {
		trak.Mdia.Mdhd.Version = 1
	}
	// On the fragmented time line a sample is presented at its
	// composition time minus edit; here the media time line starts at the
	// track's first decode time instead. The earliest presented sample
	// keeps its presentation time with an empty edit of that length and a
	// media edit that starts at its composition time — the form players
	// (ffmpeg among them) apply without moving the track against the
	// others.
	present := tab.minCTS + int64(tab.first) - edit
	if present < 0 || tab.minCTS < 0 {
		return nil, 0, kvs.Errorf(kvs.InvalidArgument, "track %d: a sample is presented before the start: %w", t.ID, ErrInvalidTrack)
	}
	var entries []mp4ff.ElstEntry
	var total uint64
	if empty := p.toMovie(uint64(present), t.Timescale); empty > 0 {
		entries = append(entries, mp4ff.ElstEntry{SegmentDuration: empty, MediaTime: -1, MediaRateInteger: 1})
		total += empty
	}
	// With B-frames the last sample presented is not the last decoded:
	// the edit runs to the latest presentation end. (A sample lengthened
	// over a gap is followed by later ones, so maxEnd needs no update.)
	shown := tab.maxEnd - tab.minCTS
	if shown <= 0 {
		return nil, 0, kvs.Errorf(kvs.InvalidArgument, "track %d: its edit starts after its last sample: %w", t.ID, ErrInvalidTrack)
	}
	seg := p.toMovie(uint64(shown), t.Timescale)
	total += seg
	if len(entries) > 0 || tab.minCTS > 0 {
		entries = append(entries, mp4ff.ElstEntry{SegmentDuration: seg, MediaTime: tab.minCTS, MediaRateInteger: 1})
		setEdits(trak, entries)
	}
	trak.Tkhd.Duration = total
	if total > math.MaxUint32 {
		trak.Tkhd.Version = 1
	}
	return trak, total, nil
}

// setEdits puts an edts with the entries into trak, after the tkhd.
func setEdits(trak *mp4ff.TrakBox, entries []mp4ff.ElstEntry) {
	elst := &mp4ff.ElstBox{Entries: entries}
	for _, e := range entries {
		if e.SegmentDuration > math.MaxUint32 || e.MediaTime > math.MaxInt32 {
			elst.Version = 1
		}
	}
	edts := &mp4ff.EdtsBox{}
	edts.AddChild(elst)
	edts.Elst = append(edts.Elst, elst)
	trak.Edts = edts
	children := make([]mp4ff.Box, 0, len(trak.Children)+1)
	for _, b := range trak.Children {
		children = append(children, b)
		if b.Type() == "tkhd" {
			children = append(children, edts)
		}
	}
	trak.Children = children
}

// boxes encodes the track's sample tables: stts, ctts (when any offset is
// not 0), stss (when not every sample is a sync sample) and stsz. They are encoded here rather than with mp4ff's table
// types, which keep derived indexes a writer has no use for.
func (t *sampleTable) boxes() []mp4ff.Box {
	var out []mp4ff.Box
	add := func(typ string, b []byte) {
		out = append(out, mp4ff.CreateUnknownBox(typ, uint64(8+len(b)), b))
	}
	be32 := binary.BigEndian.AppendUint32

	// stts: runs of equal durations. Each table is encoded into a buffer
	// of its exact size: regrown as it filled, the tables of a clip of 200
	// fragments cost a fifth of planning it.
	n := runs(t.durs)
	b := be32(fullBox(0, 4+8*n), uint32(n))
	for i := 0; i < len(t.durs); {
		j := i
		for j < len(t.durs) && t.durs[j] == t.durs[i] {
			j++
		}
		b = be32(be32(b, uint32(j-i)), t.durs[i])
		i = j
	}
	add("stts", b)

	if t.anyCTO {
		v := byte(0)
		if t.negCTO {
			v = 1
		}
		n := runs(t.ctos)
		b := be32(fullBox(v, 4+8*n), uint32(n))
		for i := 0; i < len(t.ctos); {
			j := i
			for j < len(t.ctos) && t.ctos[j] == t.ctos[i] {
				j++
			}
			b = be32(be32(b, uint32(j-i)), uint32(t.ctos[i]))
			i = j
		}
		add("ctts", b)
	}

	if !t.allSync {
		b := be32(fullBox(0, 4+4*len(t.sync)), uint32(len(t.sync)))
		for _, s := range t.sync {
			b = be32(b, s)
		}
		add("stss", b)
	}

	uniform := true
	for _, s := range t.sizes {
		uniform = uniform && s == t.sizes[0]
	}
	if uniform {
		add("stsz", be32(be32(fullBox(0, 8), t.sizes[0]), uint32(len(t.sizes))))
	} else {
		b := be32(be32(fullBox(0, 8+4*len(t.sizes)), 0), uint32(len(t.sizes)))
		for _, s := range t.sizes {
			b = be32(b, s)
		}
		add("stsz", b)
	}
	return out
}

// fullBox returns the payload of a full box (version, zero flags) with
// room for n more bytes.
func fullBox(version byte, n int) []byte {
	b := make([]byte, 4, 4+n)
	b[0] = version
	return b
}

// runs counts the runs of equal values in v.
func runs[T comparable](v []T) int {
	n := 0
	for i := range v {
		if i == 0 || v[i] != v[i-1] {
			n++
		}
	}
	return n
}

// chunkBoxes encodes stsc and stco/co64 for track k.
func (p *Progressive) chunkBoxes(k int, co64 bool) []mp4ff.Box {
	t := &p.tabs[k]
	var out []mp4ff.Box
	add := func(typ string, b []byte) {
		out = append(out, mp4ff.CreateUnknownBox(typ, uint64(8+len(b)), b))
	}
	be32 := binary.BigEndian.AppendUint32
	// stsc: an entry where the chunks' shape changes, at most one per
	// chunk; its count goes in front once known.
	b := be32(fullBox(0, 4+12*len(t.chunks)), 0)
	n := uint32(0)
	var prev chunk
	for i, ci := range t.chunks {
		c := p.chunks[ci]
		if i == 0 || c.samples != prev.samples || c.sdi != prev.sdi {
			b = be32(be32(be32(b, uint32(i+1)), uint32(c.samples)), c.sdi)
			n++
		}
		prev = c
	}
	binary.BigEndian.PutUint32(b[4:], n)
	add("stsc", b)
	if co64 {
		b := be32(fullBox(0, 4+8*len(t.offsets)), uint32(len(t.offsets)))
		for _, o := range t.offsets {
			b = binary.BigEndian.AppendUint64(b, o)
		}
		add("co64", b)
	} else {
		b := be32(fullBox(0, 4+4*len(t.offsets)), uint32(len(t.offsets)))
		for _, o := range t.offsets {
			b = be32(b, uint32(o))
		}
		add("stco", b)
	}
	return out
}

// WriteHeader finishes the plan if Size has not, and writes ftyp, moov and
// the mdat header to w, which then receives the payloads.
func (p *Progressive) WriteHeader(w io.Writer) error {
	if p.started {
		return kvs.Errorf(kvs.InvalidArgument, "header written twice: %w", ErrWriteOrder)
	}
	if err := p.finish(); err != nil {
		return err
	}
	p.w, p.started = w, true
	p.vw, _ = w.(VectorWriter)
	if _, err := w.Write(p.header); err != nil {
		p.err = err
		return err
	}
	p.written = int64(len(p.header))
	return nil
}

// WriteFragment writes the payloads of a fragment passed to Plan before, in
// the same order. A sample count or size that differs from the plan is an
// error, since the moov already went out with the planned ones. The
// payloads go to the io.Writer from the caller's memory, as Writer sends
// them; unless the VectorWriter it writes to says otherwise, everything is
// written before WriteFragment returns.
func (p *Progressive) WriteFragment(f *Fragment) error {
	if p.err != nil {
		return p.err
	}
	if !p.started {
		return kvs.Errorf(kvs.InvalidArgument, "fragment before the header: %w", ErrWriteOrder)
	}
	h := &p.hdr
	h.sizes = false
	if err := h.plan(f, p.ids, p.descs); err != nil {
		return err
	}
	p.out.reserve(h.trafs)
	for i := range h.trafs {
		r := h.trafs[i].run
		k := p.trackIndex(r.TrackID)
		if p.next >= len(p.chunks) || p.chunks[p.next].track != k || p.chunks[p.next].samples != len(r.Samples) {
			return kvs.Errorf(kvs.InvalidArgument, "track %d: run %d is not the planned one: %w", r.TrackID, p.next, ErrWriteOrder)
		}
		tab := &p.tabs[k]
		for j := range r.Samples {
			if uint32(len(r.Samples[j].Data)) != tab.sizes[p.cursor[k]+j] {
				return kvs.Errorf(kvs.InvalidArgument, "track %d: sample %d differs in size from the plan: %w",
					r.TrackID, p.cursor[k]+j+1, ErrWriteOrder)
			}
		}
		p.cursor[k] += len(r.Samples)
		p.next++
		p.out.addRun(r)
		p.written += h.trafs[i].payload
	}
	if err := p.out.send(p.w, p.vw, nil); err != nil {
		p.err = err
		return err
	}
	return nil
}

// Close checks that every planned sample was written.
func (p *Progressive) Close() error {
	if p.err != nil {
		return p.err
	}
	if !p.started || p.next != len(p.chunks) {
		return kvs.Errorf(kvs.InvalidArgument, "%d of %d planned runs written: %w", p.next, len(p.chunks), ErrWriteOrder)
	}
	return nil
}

// BytesWritten returns the bytes written so far in the writing pass.
func (p *Progressive) BytesWritten() int64 { return p.written }
