package remux

import (
	"math"
	"math/bits"
	"slices"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// maxGapFill is how many usual sample durations the last sample of a
// fragment may stretch to reach the next fragment's first sample. Within it
// the timeline stays contiguous (the usual case: fragments follow each other
// with jitter of a timecode unit); beyond it the gap is kept as a gap, and
// the next fragment's tfdt jumps.
const maxGapFill = 2

// track is one output track and its timing state.
type track struct {
	num       uint64 // Matroska track number
	index     int    // position in the clip's tracks
	id        uint32 // MP4 track ID
	info      *codec.Track
	codecID   string
	private   []byte
	timescale uint32
	alts      []alternate // further configurations (AllowCodecChange)
	sdi       uint32      // sample description index in force
	inject    bool        // the next key frame carries the parameter sets

	defaultDur int64 // DefaultDuration in track units; 0 if none
	frameLen   int64 // audio frame length in units; 0 if frames vary
	tolerance  int64 // how far audio may follow its block times, units

	// delay is the B-frame presentation delay in units: decode times run
	// this much ahead of presentation times, and the track's edit list
	// takes it off again. It is reorder×step, fixed with the init segment
	// (setReorder) and the same for the whole clip, so no composition
	// offset is ever negative (reorderedTimes).
	delay int64
	// reorder is how many frames may precede a frame in decoding order
	// and follow it in presentation order, for the whole clip: the SPS's
	// reorder depth, or more if the first fragment shows more.
	reorder int
	// step is the nominal frame duration in units, which spaces the
	// decode times made up before the first frame (reorderedTimes).
	step     int64
	delaySet bool
	// hist holds the reorder latest presentation times of the frames so
	// far, in increasing order: the decode times of the next fragment's
	// first frames come from them. spare is the buffer it swaps with.
	hist, spare []int64

	started bool
	lastDTS int64
	lastLen int64 // nominal length of the last audio frame placed, units
	usual   int64 // the last duration computed, in units
	samples int
	first   int64 // decode time of the first sample
	end     int64 // end of the last sample written
}

func newTrack(mt *mkv.Track, info *codec.Track, timecodeScale uint64) *track {
	t := &track{num: mt.Number, info: info, codecID: mt.CodecID, private: mt.CodecPrivate}
	switch {
	case info.Kind == codec.Audio && info.SampleRate > 0:
		// Audio frames are counted in samples: exact for any frame
		// length, and what every player expects.
		t.timescale = info.SampleRate
		t.frameLen = int64(info.FrameLength)
		// Block times are rounded to the timecode scale, so they may
		// stray from the true frame times by one timecode unit.
		t.tolerance = t.units(int64(timecodeScale)) + 1
	default:
		t.timescale = timescaleFor(timecodeScale)
	}
	if mt.DefaultDuration > 0 && mt.DefaultDuration < math.MaxInt64 {
		t.defaultDur = t.units(int64(mt.DefaultDuration))
	}
	return t
}

// timescaleFor returns the coarsest timescale that holds every multiple of
// the timecode scale exactly: 1000 for 1 ms, 10^7 for 100 ns.
func timescaleFor(timecodeScale uint64) uint32 {
	a, b := uint64(1e9), timecodeScale
	for b != 0 {
		a, b = b, a%b
	}
	return uint32(1e9 / a)
}

// units converts ns (>= 0) to track units, rounding to the nearest.
func (t *track) units(ns int64) int64 {
	hi, lo := bits.Mul64(uint64(ns), uint64(t.timescale))
	lo, carry := bits.Add64(lo, 5e8, 0)
	hi += carry
	if hi >= 1e9 {
		return math.MaxInt64 / 4 // beyond any real clip; caught as a too-long duration
	}
	q, _ := bits.Div64(hi, lo, 1e9)
	return int64(q)
}

// laceStepNs is the time between the frames of a lace: the track's
// DefaultDuration, or for audio one frame.
func (t *track) laceStepNs(mt *mkv.Track) int64 {
	if mt != nil && mt.DefaultDuration > 0 && mt.DefaultDuration < math.MaxInt32 {
		return int64(mt.DefaultDuration)
	}
	if t.frameLen > 0 && t.timescale > 0 {
		return t.frameLen * 1e9 / int64(t.timescale)
	}
	return 0
}

// frame checks one frame of the track and returns it in MP4 form (length-
// prefixed NAL units for video; converted only when the input is not) and,
// for G.711, its length in samples.
func (t *track) frame(data []byte) ([]byte, int64, error) {
	switch {
	case t.info.AVC != nil:
		out, err := t.info.AVC.Frame(nil, data)
		return out, 0, err
	case t.info.HEVC != nil:
		out, err := t.info.HEVC.Frame(nil, data)
		return out, 0, err
	case t.info.G711 != nil:
		n, err := t.info.G711.FrameSamples(data)
		return data, int64(n), err
	case len(data) == 0:
		return nil, 0, kvs.New(kvs.InvalidMediaFrame, "empty frame")
	}
	return data, 0, nil
}

// frameSize is frame for a frame known by its size and index flags only.
// It returns the frame's G.711 length, or ok false when the frame's bytes
// in the MP4 depend on its bytes (H.264 or H.265 not already in 4-byte
// length form, which frame converts): frame must then see them. A frame
// with ok true goes into the MP4 as it is stored.
func (t *track) frameSize(size uint32, flags fragindex.Flags) (n int64, ok bool, err error) {
	prefixed := flags&fragindex.LengthPrefixed != 0
	switch {
	case t.info.AVC != nil:
		return 0, prefixed && keepsLengthPrefixed(t.info.AVC.LengthSize), nil
	case t.info.HEVC != nil:
		return 0, prefixed && keepsLengthPrefixed(t.info.HEVC.LengthSize), nil
	case t.info.G711 != nil:
		s, err := t.info.G711.SamplesIn(int(size))
		return int64(s), true, err
	case size == 0:
		return 0, true, kvs.New(kvs.InvalidMediaFrame, "empty frame")
	}
	return 0, true, nil
}

// keepsLengthPrefixed reports whether a track whose configuration declares
// NAL lengths of ls bytes (0: Annex-B) takes valid 4-byte AVCC frames as
// they are: codec.ToAVCC tries the 4-byte form first for those, while
// 1- and 2-byte tracks have every frame widened.
func keepsLengthPrefixed(ls int) bool { return ls == 0 || ls == 4 }

// appendFrame is frame for a writer that keeps the converted bytes: frame
// itself when it goes into the MP4 unchanged, else dst with the converted
// frame appended.
func (t *track) appendFrame(dst, frame []byte) ([]byte, error) {
	switch {
	case t.info.AVC != nil:
		return t.info.AVC.Frame(dst, frame)
	case t.info.HEVC != nil:
		return t.info.HEVC.Frame(dst, frame)
	}
	return frame, nil
}

// decodeTimes sets r.dts and the composition offsets from r.pts.
//
// Audio with a fixed frame length is laid out frame after frame, and taken
// back to its block time whenever that strays by more than the tolerance, so
// rounding in the block times never shows and nothing drifts. Other tracks
// decode in presentation order when the blocks are in it; when they are not
// (B-frames), the decode times are the sorted presentation times, so every
// presentation time stays exact. Either way decode times strictly increase.
func (t *track) decodeTimes(r *run) error {
	n := len(r.pts)
	r.dts = slices.Grow(r.dts[:0], n)[:n]
	if t.frameLen > 0 || r.lens != nil {
		for i, pts := range r.pts {
			dts := pts
			if t.started {
				expected := t.lastDTS + t.lastLen
				if d := pts - expected; d >= -t.tolerance && d <= t.tolerance {
					dts = expected
				}
			}
			t.place(r, i, dts)
			t.lastLen = t.frameLen
			if r.lens != nil {
				t.lastLen = r.lens[i]
			}
			r.samples[i].CompositionOffset = 0
		}
		return nil
	}
	copy(r.dts, r.pts)
	if !slices.IsSorted(r.dts) {
		slices.Sort(r.dts)
	}
	if n == 0 {
		return nil
	}
	if !t.delaySet {
		t.setReorder(r)
	}
	t.reorderedTimes(r)
	for i := range r.dts {
		t.place(r, i, r.dts[i])
		// Presentation on the media time line is pts + delay; the edit
		// list shifts it back by delay, so players show the input's pts.
		off := r.pts[i] + t.delay - r.dts[i]
		if off > math.MaxInt32 || off < math.MinInt32 {
			return kvs.New(kvs.InvalidMediaFrame, "presentation and decode time of a frame differ by too much")
		}
		r.samples[i].CompositionOffset = int32(off)
	}
	return nil
}

// nominalFrameNs is the frame duration assumed for a video track that has
// neither a DefaultDuration nor two frames to measure when its delay must
// be fixed (a clip whose first fragment holds none of its frames): 30 fps,
// the usual camera rate. Any positive step keeps every time exact; it only
// spaces the decode times made up before the first frame.
const nominalFrameNs = 33_333_333 // 1 s / 30

// setReorder fixes the track's reorder depth, frame step and delay, from the
// codec's SPS and from r, the first run with samples (nil when the init
// segment must be written before the track has any). The SPS declares the
// depth for the whole stream, which the first fragment alone may not show:
// an encoder's first GOP can be shallower than the rest.
func (t *track) setReorder(r *run) {
	t.delaySet = true
	declared := -1
	switch {
	case t.info.AVC != nil:
		declared = t.info.AVC.SPSInfo.ReorderFrames
	case t.info.HEVC != nil:
		declared = t.info.HEVC.SPSInfo.ReorderFrames
	}
	t.reorder = max(declared, 0)
	t.step = t.defaultDur
	if r != nil {
		// r.dts holds the sorted presentation times. A frame whose
		// presentation rank k is below its decoding position i has
		// i-k frames decoded before it and shown after it.
		seen := 0
		for i, pts := range r.pts {
			k, _ := slices.BinarySearch(r.dts, pts)
			seen = max(seen, i-k)
		}
		t.reorder = max(t.reorder, seen)
		if declared < 0 && seen > 0 && t.info.AVC != nil {
			// An H.264 SPS without the VUI's reorder depth, in a
			// stream that reorders: a later GOP may reorder deeper
			// than this one, up to the decoded picture buffer, which
			// is what a decoder must assume then (H.264 E.2.1).
			t.reorder = max(t.reorder, t.info.AVC.SPSInfo.MaxDpbFrames())
		}
		if t.step <= 0 {
			for i := 1; i < len(r.dts); i++ {
				if d := r.dts[i] - r.dts[i-1]; d > 0 && (t.step <= 0 || d < t.step) {
					t.step = d
				}
			}
		}
	}
	if t.step <= 0 {
		t.step = max(t.units(nominalFrameNs), 1)
	}
	if t.reorder == 0 {
		return
	}
	t.delay = int64(t.reorder) * t.step
	t.hist = make([]int64, t.reorder)
	t.spare = make([]int64, t.reorder)
	for j := range t.hist {
		t.hist[j] = math.MinInt64 / 4 // no frame yet: reorderedTimes takes its own
	}
}

// reorderedTimes turns r.dts, r's presentation times sorted, into decode
// times. Frame i of the clip in decoding order decodes at the presentation
// time of the (i-reorder)th frame in presentation order, plus delay. In a
// stream whose reordering is within reorder frames, at most reorder of the
// frames decoded before a frame are shown after it, so that time is never
// after the frame's own presentation time: every composition offset is >= 0,
// with one delay (one edit list) for the whole clip, whatever structure
// each fragment's GOPs have. (Decoding at each fragment's own sorted times
// needs a delay per fragment; a later, deeper fragment then needed negative
// offsets, which players such as libavformat apply by moving the whole
// track later.) The first frames take made-up times reorder steps before
// the fragment's earliest frame, or the previous fragment's latest frames',
// whichever is later: after a gap, the decode times jump with it.
func (t *track) reorderedTimes(r *run) {
	R := t.reorder
	if R == 0 {
		return // decoding in presentation order
	}
	sorted, n := r.dts, len(r.dts)
	h := t.hist
	for j := range h {
		h[j] = max(h[j], sorted[0]-int64(R-j)*t.step)
	}
	next := t.spare[:0]
	if n >= R {
		next = append(next, sorted[n-R:]...)
	} else {
		next = append(append(next, h[n:]...), sorted...)
	}
	for i := n - 1; i >= 0; i-- {
		if i >= R {
			sorted[i] = sorted[i-R] + t.delay
		} else {
			sorted[i] = h[i] + t.delay
		}
	}
	t.hist, t.spare = next, h
}

// firstDTS is the decode time decodeTimes will give the first frame of a
// run whose presentation times are pts, before place keeps decode times
// increasing.
func (t *track) firstDTS(pts []int64) int64 {
	lo := slices.Min(pts)
	if t.frameLen > 0 || t.info.G711 != nil || t.reorder == 0 {
		return lo
	}
	return max(t.hist[0], lo-int64(t.reorder)*t.step) + t.delay
}

// place sets sample i's decode time to dts, or just after the previous one.
func (t *track) place(r *run, i int, dts int64) {
	if t.started && dts <= t.lastDTS {
		dts = t.lastDTS + 1
	}
	if !t.started {
		t.first = dts
	}
	r.dts[i] = dts
	t.lastDTS, t.started = dts, true
}

// durations sets the sample durations of r. Each sample lasts until the
// next; the last one until nextDTS (the next fragment's first sample, -1
// when there is none) if that is within maxGapFill usual durations, else
// for the usual duration.
func (t *track) durations(r *run, nextDTS int64) error {
	n := len(r.dts)
	for i := 0; i < n-1; i++ {
		if err := t.setDuration(r, i, r.dts[i+1]-r.dts[i]); err != nil {
			return err
		}
	}
	usual := t.usualDuration(r)
	last := usual
	if gap := nextDTS - r.dts[n-1]; nextDTS >= 0 && (gap <= maxGapFill*usual || gap < last) {
		last = gap
	}
	if err := t.setDuration(r, n-1, last); err != nil {
		return err
	}
	t.samples += n
	t.end = r.dts[n-1] + last
	return nil
}

// usualDuration is the duration of a sample with nothing after it: its
// BlockDuration, the track's DefaultDuration, an audio frame, or the last
// duration seen on the track.
func (t *track) usualDuration(r *run) int64 {
	switch {
	case r.lastDur > 0:
		return r.lastDur
	case len(r.lens) > 0:
		return r.lens[len(r.lens)-1]
	case t.defaultDur > 0:
		return t.defaultDur
	case t.frameLen > 0:
		return t.frameLen
	case t.usual > 0:
		return t.usual
	}
	return 1
}

// closingDuration is the duration durations will give r's last sample when
// nothing follows within maxGapFill: usualDuration as it will be once the
// durations inside r are set.
func (t *track) closingDuration(r *run) int64 {
	n := len(r.dts)
	if r.lastDur <= 0 && t.defaultDur <= 0 && t.frameLen <= 0 && n >= 2 {
		return r.dts[n-1] - r.dts[n-2]
	}
	return t.usualDuration(r)
}

// seconds converts track units to seconds, rounded to the millisecond.
func (t *track) seconds(units int64) float64 {
	return math.Round(float64(units)/float64(t.timescale)*1000) / 1000
}

// nanos converts track units to ns.
func (t *track) nanos(units int64) int64 {
	hi, lo := bits.Mul64(uint64(units), 1e9)
	if hi >= uint64(t.timescale) {
		return math.MaxInt64 / 4
	}
	q, _ := bits.Div64(hi, lo, uint64(t.timescale))
	return int64(q)
}

func (t *track) setDuration(r *run, i int, d int64) error {
	if d <= 0 || d > math.MaxUint32 {
		return kvs.Errorf(kvs.InvalidMediaFrame, "sample duration %d out of range", d)
	}
	r.samples[i].Duration = uint32(d)
	t.usual = d
	return nil
}

// entry describes the track for the manifest.
func (t *track) entry() TrackEntry {
	e := TrackEntry{ID: t.id, Codec: t.info.SampleEntry, Samples: t.samples}
	if t.samples > 0 && t.timescale > 0 {
		e.Duration = math.Round(float64(t.end-t.first)/float64(t.timescale)*1000) / 1000
	}
	return e
}
