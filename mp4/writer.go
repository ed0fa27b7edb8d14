package mp4

import (
	"io"
	"runtime"

	"github.com/kvsclip/kvsclip/kvserr"
)

// Sample is one coded frame as it goes into a trun and the mdat.
type Sample struct {
	// Data is the frame's payload, written to the mdat unchanged. H.264
	// frames must already be in the 4-byte length form the avcC declares.
	// It must not be empty. The writer does not keep it after
	// WriteFragment returns.
	Data []byte
	// Duration is the time to the next sample's decode time, in the
	// track's timescale.
	Duration uint32
	// CompositionOffset is presentation time minus decode time, in the
	// track's timescale. Negative values are allowed and are written with
	// trun version 1.
	CompositionOffset int32
	// Sync marks a sample a decoder can start at (an IDR picture; every
	// AAC frame).
	Sync bool
	// Size is the payload's length for a sample described without its
	// bytes (Data nil): one that Progressive.Plan and FragmentHeader lay
	// out before the payload is read. It is ignored when Data is set;
	// the writers that write payloads (Writer, Progressive.WriteFragment)
	// need Data.
	Size uint32
}

// size is the sample's payload length: Data's, or Size without Data.
func (s *Sample) size() int {
	if s.Data != nil {
		return len(s.Data)
	}
	return int(s.Size)
}

// TrackRun is the samples of one track in one fragment, in decode order.
type TrackRun struct {
	// TrackID names one of the writer's tracks.
	TrackID uint32
	// BaseDecodeTime is the decode time of the first sample, in the track's
	// timescale, counted from the start of the output (tfdt).
	BaseDecodeTime uint64
	// SampleDescriptionIndex selects the sample entry (1-based): 1 is the
	// track's Codec, 2 its first Alternate, and so on; 0 means 1. An index
	// other than 1 is written into the tfhd.
	SampleDescriptionIndex uint32
	// Samples are the run's samples. A run without samples is skipped.
	Samples []Sample
}

// Fragment is the content of one moof+mdat. The caller may reuse it, and
// the slices in it, once WriteFragment returns.
type Fragment struct {
	// Tracks holds one run per track, at most; the order is the order of
	// the trafs in the moof and of the payloads in the mdat.
	Tracks []TrackRun
}

// Writer writes a fragmented MP4: WriteInit once, then WriteFragment for
// each fragment, then Flush. Within a fragment it gathers small payloads
// into a reused buffer and passes large ones through (see GatherThreshold);
// each WriteInit and WriteFragment has handed its bytes to the underlying
// io.Writer when it returns, so a consumer of a live clip gets the init
// segment as soon as the tracks are known and every fragment as soon as it
// is complete. One write call more per fragment costs nothing measurable
// next to the megabytes of a KVS fragment.
//
// After an error from the underlying io.Writer every method returns that
// error. An invalid argument is reported without writing anything and
// leaves the Writer usable.
type Writer struct {
	w        io.Writer
	trackIDs []uint32
	// descs[i] is the number of sample descriptions of trackIDs[i].
	descs   []uint32
	init    []byte
	hdr     fragmentHeader
	g       gatherer
	written int64
	// gatherBelow is the sink's threshold (thresholdFor) unless
	// SetGatherThreshold changed it.
	gatherBelow int
	initDone    bool
	err         error
}

// NewWriter returns a Writer for the given tracks, which it validates: at
// least one track, IDs non-zero and unique, timescales non-zero, codecs
// supported ("avc1", "hvc1", "hev1", "mp4a", "alaw", "ulaw") with usable
// configurations, every sample description of a track of one kind. The init segment
// is built here, so a configuration error shows before any output.
func NewWriter(w io.Writer, tracks []Track) (*Writer, error) {
	if err := validateTracks(tracks); err != nil {
		return nil, err
	}
	init, err := buildInit(tracks)
	if err != nil {
		return nil, kvserr.Errorf(kvserr.InvalidArgument, "building init segment: %w", err)
	}
	// The codec facts are only needed for the init segment; keeping just
	// the IDs means the caller may change its Track values afterwards.
	ids := make([]uint32, len(tracks))
	descs := make([]uint32, len(tracks))
	for i := range tracks {
		ids[i] = tracks[i].ID
		descs[i] = uint32(1 + len(tracks[i].Alternates))
	}
	return &Writer{w: w, trackIDs: ids, descs: descs, init: init, gatherBelow: thresholdFor(w)}, nil
}

// SetGatherThreshold sets the payload size from which samples are passed
// through instead of gathered. The default depends on the sink: see
// GatherThreshold. 0 passes
// every payload through, which suits a sink that buffers by itself (a
// bytes.Buffer, a bufio.Writer); a value above any payload gathers
// everything. The threshold benchmarks of package bench use it to find
// GatherThreshold.
func (w *Writer) SetGatherThreshold(n int) {
	w.gatherBelow = max(n, 0)
}

// SetWriteBehind makes a Writer whose sink is a file written with writev
// (Linux, see GatherThreshold) hand each fragment to a goroutine that
// writes it, and return at once, so that the caller's work on the next
// fragments overlaps the writing on another core. Payloads must then stay
// unchanged until Flush returns, not only until their WriteFragment does;
// a write error is returned by Flush, which waits for every write. (A
// Writer dropped without Flush writes what it was handed, and its
// goroutine ends.) For other sinks it changes nothing, and in a process
// that runs goroutines on one core only (GOMAXPROCS 1, as Go sets it
// under a one-CPU affinity or container limit) it changes nothing either:
// there the caller and the writing goroutine take turns on the one P, the
// write holds it (a raw system call), and each turn waits for the
// runtime to hand it over. The benchmark recording's clip took 36 ms that
// way on one CPU against 25 ms written in line (bench/README.md).
func (w *Writer) SetWriteBehind() {
	if w.g.bh == nil && runtime.GOMAXPROCS(0) > 1 {
		w.g.bh = newBehind(w)
	}
}

// WriteInit writes the init segment (ftyp and moov). It must be called
// once, before the first WriteFragment.
func (w *Writer) WriteInit() error {
	if w.err != nil {
		return w.err
	}
	if w.initDone {
		return kvserr.Errorf(kvserr.InvalidArgument, "init segment written twice: %w", ErrWriteOrder)
	}
	// Written at once rather than gathered with the first fragment: the
	// init is the first byte a streaming consumer sees (time to first
	// byte), and the first fragment is not complete until the next one
	// has been read.
	if _, err := w.w.Write(w.init); err != nil {
		w.err = err
		return err
	}
	w.initDone = true
	w.written += int64(len(w.init))
	return nil
}

// WriteFragment writes f as one moof and one mdat: a traf per run that has
// samples, and the runs' payloads in the same order. The moof sequence
// numbers count from 1. A fragment without any sample writes nothing.
//
// Payloads smaller than the gather threshold are copied into the gather
// buffer; larger ones are written from the caller's memory. Everything is
// written before WriteFragment returns, so f may be reused afterwards.
func (w *Writer) WriteFragment(f *Fragment) error {
	if w.err != nil {
		return w.err
	}
	if !w.initDone {
		return kvserr.Errorf(kvserr.InvalidArgument, "fragment before init segment: %w", ErrWriteOrder)
	}
	h := &w.hdr
	if err := h.plan(f, w.trackIDs, w.descs); err != nil {
		return err
	}
	if len(h.trafs) == 0 {
		return nil
	}
	h.seq++
	n := h.MarshalSize()
	dst, err := w.g.extend(w.w, n)
	if err != nil {
		w.err = err
		return err
	}
	h.MarshalTo(dst)
	for i := range h.trafs {
		run := h.trafs[i].run
		for j := range run.Samples {
			p := run.Samples[j].Data
			if len(p) >= w.gatherBelow {
				w.g.passThrough(p)
				continue
			}
			if err := w.g.copyIn(w.w, p); err != nil {
				w.err = err
				return err
			}
		}
	}
	w.written += int64(n) + h.payload
	// The fragment is complete: hand it on, so output streams fragment by
	// fragment, and caller memory is no longer referenced.
	if err := w.g.flush(w.w); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Flush writes everything gathered so far to the underlying io.Writer.
// WriteInit and WriteFragment leave nothing behind, so Flush only reports
// a sticky error; it stays for callers written against the gathering
// contract.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.g.bh != nil {
		if err := w.g.flush(w.w); err != nil {
			w.err = err
			return err
		}
		if err := w.g.bh.wait(); err != nil {
			w.err = err
			return err
		}
		return nil
	}
	if !w.g.pending() {
		return nil
	}
	if err := w.g.flush(w.w); err != nil {
		w.err = err
		return err
	}
	return nil
}

// BytesWritten returns the size of the output so far: every box written,
// including bytes still gathered and not yet flushed. It is therefore also
// the offset at which the next fragment will start.
func (w *Writer) BytesWritten() int64 {
	return w.written
}
