package remux

import (
	"errors"
	"io"
	"strconv"

	"github.com/kvsclip/kvsclip/kvserr"
	"github.com/kvsclip/kvsclip/mkv"
)

// Options tunes a clip. The zero value, or a nil *Options, gives the
// defaults; fields are added, never changed in meaning.
type Options struct {
	// Gaps says what becomes of a gap in the input's timeline: GapsKeep
	// (the default) or GapsClose.
	Gaps Gaps
	// Profile is the set of codec combinations accepted:
	// ProfileExtended (the default) or ProfileKVS, GetClip's.
	Profile Profile
	// AllowCodecChange lets the codec data of a track change between
	// fragments: each configuration declared with Clipper.Expect becomes a
	// sample description, switched to where it starts. Without it such a
	// change is an InvalidCodecPrivateData error naming the fragment.
	AllowCodecChange bool
	// Format is the output's layout: FormatFMP4 (the default) or
	// FormatMP4, progressive. FormatMP4 implies Planned.
	Format Format
	// Planned holds the output back until every fragment has been added:
	// Close (or Clipper.WriteRange, after Clipper.Plan has given the exact
	// size) then writes it in a second pass over the same fragments. The
	// clipper keeps a copy of each fragment's block list, not of the
	// payloads, which must stay valid until then (as those of
	// mkv.NewBytesReader do, and not those of mkv.NewReader). A
	// planned fragmented MP4 carries its total duration (mehd) and a
	// segment index (sidx), so players show its length and seek in it.
	//
	// A caller that knows its fragments up front plans from their
	// indexes instead (Plan, PlannedClip), which holds no payload and
	// writes byte ranges without the fragments before them; Planned stays
	// for Clip and for the one-pass file mode (IndexRoom). Plan ignores
	// it.
	Planned bool
	// IndexRoom lets a planned fragmented MP4 whose destination is a file
	// (an *os.File, or anything with Seek, WriteAt and Truncate) be
	// written in one pass instead of two: each fragment is written as soon
	// as it is complete, behind room left for the header and an index of
	// up to IndexRoom fragments, and Close writes the header into that
	// room, a free box taking up what the index leaves. The file gets the
	// same media, timing and index as the two-pass clip, padded by at
	// most 8 + 12×IndexRoom bytes. If more fragments come than the room
	// holds, Close falls back to the second pass and rewrites the clip
	// from where it began. The clip starts at the file's offset when the
	// first fragment is added, and until Close the file does not hold a
	// valid MP4. Zero, the default, or a destination that is not a file,
	// keeps the two passes. WriteRange is not available in one pass.
	// The fragments are written in the background as the next ones are
	// added (clipio.Writer.SetWriteBehind); Close waits for those writes,
	// also when it returns an error, and Clipper.Abort does for a clip
	// given up: one of them must return before the file is closed.
	IndexRoom int
}

// Gaps is what a clip does with a gap between two of its fragments: time
// between the end of one fragment and the start of the next, beyond the
// jitter that the last sample of a fragment absorbs (maxGapFill). Either
// way the manifest lists each gap.
type Gaps int

const (
	// GapsKeep keeps a gap as a gap: the next fragment's decode times
	// (tfdt) jump, so every frame keeps its place on the input's time
	// line, as GetClip's single continuous timeline does.
	GapsKeep Gaps = iota
	// GapsClose moves the fragments after a gap earlier, so the clip's
	// timeline has no holes. The moves add up along the clip, and every
	// track moves by the same amount, so audio stays in sync with video.
	// For players that stall or guess a wrong frame rate at a hole.
	GapsClose
)

// Clip reads KVS Matroska fragments from src and writes them to dst as a
// fragmented MP4. It streams: output starts after the first fragment is
// read, and memory stays at about two fragments whatever the clip's length.
//
// The manifest is returned also when an error stops the clip; it then
// describes the fragments read so far. Errors are *kvserr.Error values,
// except I/O errors of dst, which are returned as they are.
//
// A planned clip (FormatMP4, or Options.Planned) needs every fragment
// before its first byte, so Clip reads the whole of src into memory first;
// the output is byte for byte that of Plan over the fragments' indexes.
func Clip(dst io.Writer, src io.Reader, opts *Options) (*Manifest, error) {
	c := NewClipper(dst, opts)
	r := (*mkv.Reader)(nil)
	if c.plan != nil {
		data, err := io.ReadAll(src)
		if err != nil {
			return c.Manifest(), err
		}
		r = mkv.NewBytesReader(data)
	} else {
		r = mkv.NewReader(src)
	}
	if err := c.AddAll(r); err != nil {
		return c.Manifest(), err
	}
	return c.Close()
}

// AddAll adds every fragment of r to the clip, in order.
func (c *Clipper) AddAll(r *mkv.Reader) error {
	for {
		f, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return c.readError(err)
		}
		if err := c.Add(f); err != nil {
			return err
		}
	}
}

// readError gives a Reader's error its kind and location.
func (c *Clipper) readError(err error) error {
	e := &kvserr.Error{Kind: kvserr.KindOf(err), Offset: -1, Msg: err.Error(), Err: err}
	if e.Kind == kvserr.Unknown {
		return err // an I/O error of the input
	}
	var me *mkv.Error
	if errors.As(err, &me) {
		e.Offset = me.Offset
	}
	e.Fragment = "#" + strconv.Itoa(c.read)
	return e
}
