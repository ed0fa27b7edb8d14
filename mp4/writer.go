package mp4

import (
	"io"

	"github.com/kvsclip/kvsclip/kvs"
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

// VectorWriter is a sink that takes a fragment in one call rather than a
// Write per piece: the boxes the encoder wrote in front of the payloads,
// then the payloads by reference. Writer and Progressive write to one when
// their io.Writer is one, and the sink decides how the pieces reach the
// operating system; the engine's (package remux) gathers short pieces,
// writes vectors with one system call and may write behind the caller.
type VectorWriter interface {
	io.Writer
	// WriteVector writes head and then every payload, in order. head
	// is the encoder's reused buffer: the sink must copy what it keeps
	// of it before returning. The payloads are the caller's samples
	// (Sample.Data), which the sink may hold for as long as the
	// caller's contract with it says.
	WriteVector(head []byte, payloads [][]byte) error
	// Flush writes whatever the sink still holds.
	Flush() error
}

// Writer writes a fragmented MP4: WriteInit once, then WriteFragment for
// each fragment, then Flush. Each WriteInit and WriteFragment has handed
// its bytes to the underlying io.Writer when it returns, so a consumer of
// a live clip gets the init segment as soon as the tracks are known and
// every fragment as soon as it is complete. A fragment goes out as its
// moof and mdat header, encoded into a reused buffer, followed by the
// payloads as the caller gave them: in one WriteVector call to a
// VectorWriter, else in one Write call per piece.
//
// After an error from the underlying io.Writer every method returns that
// error. An invalid argument is reported without writing anything and
// leaves the Writer usable.
type Writer struct {
	w        io.Writer
	vw       VectorWriter // w, when it is one
	trackIDs []uint32
	// descs[i] is the number of sample descriptions of trackIDs[i].
	descs    []uint32
	init     []byte
	hdr      fragmentHeader
	out      pieces
	written  int64
	initDone bool
	err      error
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
	init, err := buildInit(tracks, false, 0)
	if err != nil {
		return nil, kvs.Errorf(kvs.InvalidArgument, "building init segment: %w", err)
	}
	// The codec facts are only needed for the init segment; keeping just
	// the IDs means the caller may change its Track values afterwards.
	ids := make([]uint32, len(tracks))
	descs := make([]uint32, len(tracks))
	for i := range tracks {
		ids[i] = tracks[i].ID
		descs[i] = uint32(1 + len(tracks[i].Alternates))
	}
	vw, _ := w.(VectorWriter)
	return &Writer{w: w, vw: vw, trackIDs: ids, descs: descs, init: init}, nil
}

// WriteInit writes the init segment (ftyp and moov). It must be called
// once, before the first WriteFragment.
func (w *Writer) WriteInit() error {
	if w.err != nil {
		return w.err
	}
	if w.initDone {
		return kvs.Errorf(kvs.InvalidArgument, "init segment written twice: %w", ErrWriteOrder)
	}
	// Written at once rather than with the first fragment: the init is
	// the first byte a streaming consumer sees (time to first byte), and
	// the first fragment is not complete until the next one has been
	// read.
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
// The payloads are written from the caller's memory. Unless the
// VectorWriter it writes to says otherwise, everything is written before
// WriteFragment returns, so f may be reused afterwards.
func (w *Writer) WriteFragment(f *Fragment) error {
	if w.err != nil {
		return w.err
	}
	if !w.initDone {
		return kvs.Errorf(kvs.InvalidArgument, "fragment before init segment: %w", ErrWriteOrder)
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
	head := w.out.header(n)
	h.MarshalTo(head)
	w.out.reserve(h.trafs)
	for i := range h.trafs {
		w.out.addRun(h.trafs[i].run)
	}
	w.written += int64(n) + h.payload
	if err := w.out.send(w.w, w.vw, head); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Flush has the underlying io.Writer write what it holds, when it is a
// VectorWriter. WriteInit and WriteFragment hand over everything they
// write, so for any other io.Writer Flush only reports a sticky error.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.vw != nil {
		if err := w.vw.Flush(); err != nil {
			w.err = err
			return err
		}
	}
	return nil
}

// BytesWritten returns the size of the output so far: every box written,
// including bytes a VectorWriter may still hold. It is therefore also the
// offset at which the next fragment will start.
func (w *Writer) BytesWritten() int64 {
	return w.written
}
