package remux

import (
	"errors"
	"io"

	"github.com/kvsclip/kvsclip/kvserr"
	"github.com/kvsclip/kvsclip/mkv"
)

// Options tunes a clip. The zero value, or a nil *Options, gives the
// defaults; fields are added, never changed in meaning.
type Options struct{}

// Clip reads KVS Matroska fragments from src and writes them to dst as a
// fragmented MP4. It streams: output starts after the first fragment is
// read, and memory stays at about two fragments whatever the clip's length.
//
// The manifest is returned also when an error stops the clip; it then
// describes the fragments read so far. Errors are *kvserr.Error values,
// except I/O errors of dst, which are returned as they are.
func Clip(dst io.Writer, src io.Reader, opts *Options) (*Manifest, error) {
	c := NewClipper(dst, opts)
	if err := c.AddAll(mkv.NewReader(src)); err != nil {
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
	e.Fragment = "#" + itoa(c.read)
	return e
}
