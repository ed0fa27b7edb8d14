package remux

import (
	"context"
	"errors"
	"io"
	"math"

	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/mp4"
)

// File is a destination a FileWriter can write a planned clip into in one
// pass: it seeks, writes at offsets and truncates, as an *os.File on a
// regular file does (the mp4 writer also gives an *os.File vectored
// writes).
type File interface {
	io.Writer
	io.Seeker
	io.WriterAt
	Truncate(size int64) error
}

// FileWriter writes a planned fragmented MP4 — with its duration (mehd)
// and segment index (sidx), as Plan lays it out — into a file in one pass,
// as its fragments are added: each fragment is written as soon as it is
// complete, behind room left for the header and an index of up to room
// fragments, and Close writes the header into that room, a free box taking
// up what the index leaves. The file gets the same media, timing and index
// as the clip Plan makes of the same fragments, padded by at most
// 8 + 12×room bytes. If more fragments come than the room holds, Close
// plans the clip from the fragments' indexes (a Collector's) and writes it
// again from where it began, so the file is then exactly the planned clip.
//
// The clip starts at the file's offset when NewFileWriter is called, and
// until Close returns the file does not hold a valid MP4. Fragments are
// written in the background while the next ones are added
// (clipio.Writer.SetWriteBehind); Close waits for those writes, also when it
// fails, and Abort does for a clip given up: one of them must return
// before the file is closed.
type FileWriter struct {
	f    File
	base int64 // the clip's first byte in f
	n    int   // the room asked for, in fragments
	room int   // bytes reserved in front of the fragments
	c    *Clipper
	col  Collector
	fw   *mp4.Writer
	lay  layout
	opts Options
}

// NewFileWriter returns a FileWriter of the clip into f, from its current
// offset, with room for the index of room fragments (at most 65535). opts
// may be nil; configs are the codec configurations of the clip, as for
// NewClipper, in the order the fragments carry them. It fails when f
// cannot seek (a pipe is an *os.File too) or room is not positive.
func NewFileWriter(f File, room int, opts *Options, configs ...*mkv.Header) (*FileWriter, error) {
	if room < 1 {
		return nil, kvs.Errorf(kvs.InvalidArgument, "room for %d fragments: want at least 1", room)
	}
	base, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	w := &FileWriter{f: f, base: base, n: min(room, math.MaxUint16), c: NewClipper(f, opts, configs...)}
	w.opts = w.c.opts
	w.c.open = w.start
	return w, nil
}

// start is the clipper's open hook: it reserves the room for the header in
// front of the fragments and makes the writer of the fragments behind it.
func (w *FileWriter) start(tracks []mp4.Track) (sink, error) {
	room, err := mp4.ReservedHeaderSize(tracks, w.n)
	if err != nil {
		return nil, err
	}
	if _, err := w.f.Seek(w.base+int64(room), io.SeekStart); err != nil {
		return nil, err
	}
	w.room = room
	// The fragments stay valid until Close (their documents are the
	// fall-back's payloads), so they can be written while the next ones
	// are timed.
	out := clipio.NewWriter(w.f)
	out.SetWriteBehind()
	fw, err := mp4.NewWriter(out, tracks)
	if err != nil {
		return nil, err
	}
	fw.SkipInit()
	w.fw = fw
	w.lay.startIndex(tracks)
	return fileSink{w}, nil
}

// fileSink writes a FileWriter's fragments and measures them for the
// index.
type fileSink struct{ w *FileWriter }

func (s fileSink) WriteFragment(f *mp4.Fragment) error {
	fw := s.w.fw
	before := fw.BytesWritten()
	if err := fw.WriteFragment(f); err != nil {
		return err
	}
	s.w.lay.measure(f, fw.BytesWritten()-before)
	return nil
}

func (s fileSink) Flush() error { return s.w.fw.Flush() }

// Add adds the next fragment of the clip, with its document: the bytes of
// f in its input (as for Collector.Add), which must stay valid until Close
// or Abort returns. f itself must stay valid until the following Add or
// Close returns, as for a Clipper.
func (w *FileWriter) Add(f *mkv.Fragment, doc []byte) error {
	if err := w.c.Add(f); err != nil {
		return err
	}
	w.col.Add(f, doc)
	return nil
}

// AddAll adds every fragment of data, a whole input in memory, each with
// its bytes in data as its document (see Collector.AddAll), and stops at
// the first error.
func (w *FileWriter) AddAll(data []byte) error {
	return eachFragment(data, w.Add)
}

// Close writes the last fragment and the header, or the whole clip again
// when the index did not fit the room, and returns the clip's size in
// bytes from where it began and the manifest. With no fragment holding
// media it returns a ResourceNotFound error, as GetClip does. The file is
// not cut: bytes beyond the clip's end that were there before stay.
func (w *FileWriter) Close(ctx context.Context) (int64, *Manifest, error) {
	man, err := w.c.Close()
	if err != nil {
		w.quiesce()
		return 0, man, err
	}
	w.lay.finishIndex()
	h, err := mp4.ReservedHeader(w.lay.initTracks, &w.lay.idx, w.room)
	switch {
	case err == nil:
		if _, err := w.f.WriteAt(h, w.base); err != nil {
			return 0, man, err
		}
		size := int64(w.room)
		for _, f := range w.lay.idx.Fragments {
			size += f.Size
		}
		return size, man, nil
	case !errors.Is(err, mp4.ErrNoRoom):
		return 0, man, err
	}
	// More fragments than room: the clip planned from their indexes,
	// written again from its start and cut to its size.
	size, err := w.rewrite(ctx)
	return size, man, err
}

// rewrite writes the clip planned from the collected indexes over the one
// written, and cuts the file to its end.
func (w *FileWriter) rewrite(ctx context.Context) (int64, error) {
	pc, err := w.col.Plan(ctx, &PlanOptions{Options: w.opts})
	if err != nil {
		return 0, err
	}
	size, _ := pc.Size()
	if _, err := w.f.Seek(w.base, io.SeekStart); err != nil {
		return 0, err
	}
	if err := pc.WriteTo(ctx, w.f, w.col.Payloads()); err != nil {
		return 0, err
	}
	return size, w.f.Truncate(w.base + size)
}

// Abort ends a clip that will not be completed, after an error of the
// caller's or a failed Add: it writes nothing more, waits for the writes
// still under way, and makes every later call fail. The caller may then
// close or remove the file.
func (w *FileWriter) Abort() {
	w.quiesce()
	w.c.Abort()
}

// quiesce waits for the writes still under way (mp4 write-behind), so that
// nothing is written to the file after Close or Abort returns — the caller
// may close it, and its descriptor may be reused at once.
func (w *FileWriter) quiesce() {
	if w.fw != nil {
		_ = w.fw.Flush()
	}
}

// Manifest returns the manifest of what has been added so far.
func (w *FileWriter) Manifest() *Manifest { return w.c.Manifest() }
