package remux

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// Options tunes a clip. The zero value, or a nil *Options, gives the
// defaults; fields are added, never changed in meaning.
type Options struct {
	// Gaps says what becomes of a gap in the input's timeline: GapsKeep
	// (the default) or GapsClose.
	Gaps GapPolicy
	// Profile is the set of codec combinations accepted:
	// ProfileExtended (the default) or ProfileKVS, GetClip's.
	Profile Profile
	// AllowCodecChange lets the codec data of a track change between
	// fragments: each configuration becomes a sample description,
	// switched to where it starts. A streaming Clipper must be given the
	// configurations when it is made (NewClipper); a plan finds them in
	// its fragments. Without it such a change is an
	// InvalidCodecPrivateData error naming the fragment.
	AllowCodecChange bool
}

// ClipOptions tunes Clip: the Options of every clip and the output's
// layout.
type ClipOptions struct {
	Options
	// Format is the output's layout: FormatFMP4 (the default) or
	// FormatMP4, progressive, which is planned.
	Format Format
	// Planned makes a FormatFMP4 clip a planned one: it carries its
	// total duration (mehd) and a segment index (sidx), so players show
	// its length and seek in it, and it is written only once every
	// fragment has been read.
	Planned bool
}

// GapPolicy is what a clip does with a gap between two of its fragments: time
// between the end of one fragment and the start of the next, beyond the
// jitter that the last sample of a fragment absorbs (maxGapFill). Either
// way the manifest lists each gap.
type GapPolicy int

const (
	// GapsKeep keeps a gap as a gap: the next fragment's decode times
	// (tfdt) jump, so every frame keeps its place on the input's time
	// line, as GetClip's single continuous timeline does.
	GapsKeep GapPolicy = iota
	// GapsClose moves the fragments after a gap earlier, so the clip's
	// timeline has no holes. The moves add up along the clip, and every
	// track moves by the same amount, so audio stays in sync with video.
	// For players that stall or guess a wrong frame rate at a hole.
	GapsClose
)

// Clip reads KVS Matroska fragments from src and writes them to dst as an
// MP4. A fragmented MP4 streams (a Clipper): output starts after the first
// fragment is read, and memory stays at about two fragments whatever the
// clip's length.
//
// A planned clip (FormatMP4, or ClipOptions.Planned) needs every fragment
// before its first byte: Clip reads the whole of src into memory, collects
// the fragments' indexes (Collector) and writes the clip planned from them,
// its payloads sub-slices of the input. With AllowCodecChange every codec
// configuration of the input is declared, as a plan finds them all.
//
// The manifest is returned also when an error stops the clip; it then
// describes the fragments read so far (planned so far, for a planned clip).
// Errors are *kvs.Error values, except I/O errors of dst, which are
// returned as they are.
func Clip(dst io.Writer, src io.Reader, opts *ClipOptions) (*Manifest, error) {
	var o ClipOptions
	if opts != nil {
		o = *opts
	}
	if o.Format == FormatMP4 || o.Planned {
		return clipPlanned(dst, src, &o)
	}
	c := NewClipper(dst, &o.Options)
	if err := c.AddAll(mkv.NewReader(src)); err != nil {
		return c.Manifest(), err
	}
	return c.Close()
}

// clipPlanned is Clip for a planned clip.
func clipPlanned(dst io.Writer, src io.Reader, o *ClipOptions) (*Manifest, error) {
	data, err := io.ReadAll(src)
	if err != nil {
		return NewClipper(nil, nil).Manifest(), err
	}
	var col Collector
	readErr := col.AddAll(data)
	ctx := context.Background()
	// After a read error too: the manifest describes what was read, and
	// a fragment that fails came before the error (as when a streaming
	// clip stops at its Add), unless it is the end's "no media".
	pc, err := col.Plan(ctx, &PlanOptions{Options: o.Options, Format: o.Format})
	switch {
	case readErr != nil && (err == nil || kvs.KindOf(err) == kvs.ResourceNotFound):
		err = readErr
	case err == nil && readErr == nil:
		err = pc.WriteTo(ctx, dst, col.Payloads())
	}
	return pc.Manifest(), err
}

// AddAll adds every fragment of r to the clip, in order.
func (c *Clipper) AddAll(r *mkv.Reader) error {
	for {
		f, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readError(err, c.read)
		}
		if err := c.Add(f); err != nil {
			return err
		}
	}
}

// readError gives a Reader's error its kind and location: the number of
// fragments read before it.
func readError(err error, read int) error {
	e := &kvs.Error{Kind: kvs.KindOf(err), Offset: -1, Msg: err.Error(), Err: err}
	if e.Kind == kvs.Unknown {
		return err // an I/O error of the input
	}
	var me *mkv.Error
	if errors.As(err, &me) {
		e.Offset = me.Offset
	}
	e.Fragment = "#" + strconv.Itoa(read)
	return e
}
