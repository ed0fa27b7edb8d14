package remux

import (
	"bytes"
	"io"
	"slices"

	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/mp4"
)

// twoPassClip is the reference the planned clips are held to: the way the
// Clipper used to make them before plans were made from indexes, in two
// passes over the same fragments by the same timing code. The first pass
// times every fragment into a sink that only measures it (mp4.Progressive's
// Plan, or a fragmented writer into a byte counter whose fragments' sizes
// and times make the index); the second replays the kept fragments through
// a fresh Clipper into the real writer. It shares no layout code with
// planclip.go beyond the mp4 package and the layout's index, so a plan
// that matches it byte for byte makes the same clip by another road.
func twoPassClip(data []byte, opts *Options, format Format, configs ...*mkv.Header) ([]byte, *Manifest, error) {
	var lay layout
	first := NewClipper(nil, opts, configs...)
	first.open = func(tracks []mp4.Track) (sink, error) {
		if format == FormatMP4 {
			p, err := mp4.NewProgressive(tracks)
			if err != nil {
				return nil, err
			}
			lay.tracks, lay.prog = tracks, p
			return progPlan{p}, nil
		}
		w, err := mp4.NewWriter(io.Discard, tracks)
		if err != nil {
			return nil, err
		}
		if err := w.WriteInit(); err != nil {
			return nil, err
		}
		lay.startIndex(tracks)
		return &measured{w: w, lay: &lay}, nil
	}
	var frags []*mkv.Fragment
	r := mkv.NewBytesReader(data)
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, first.Manifest(), readError(err, first.read)
		}
		// The reader reuses its Fragment values; the payloads stay.
		cp := *f
		cp.Blocks = slices.Clone(f.Blocks)
		cp.Tags.Other = slices.Clone(f.Tags.Other)
		frags = append(frags, &cp)
		if err := first.Add(&cp); err != nil {
			return nil, first.Manifest(), err
		}
	}
	man, err := first.Close()
	if err == nil && lay.prog != nil {
		_, err = lay.prog.Size()
	} else if err == nil {
		lay.finishIndex()
	}
	if err != nil {
		return nil, man, err
	}
	var out bytes.Buffer
	second := NewClipper(&out, opts, configs...)
	second.open = func([]mp4.Track) (sink, error) {
		if lay.prog != nil {
			if err := lay.prog.WriteHeader(&out); err != nil {
				return nil, err
			}
			return progWrite{lay.prog}, nil
		}
		w, err := mp4.NewIndexedWriter(&out, lay.initTracks, &lay.idx)
		if err != nil {
			return nil, err
		}
		return w, w.WriteInit()
	}
	for _, f := range frags {
		if err := second.Add(f); err != nil {
			return nil, man, err
		}
	}
	if _, err := second.Close(); err != nil {
		return nil, man, err
	}
	return out.Bytes(), man, nil
}

// progPlan plans a progressive file.
type progPlan struct{ p *mp4.Progressive }

func (s progPlan) WriteFragment(f *mp4.Fragment) error { return s.p.Plan(f) }
func (s progPlan) Flush() error                        { return nil }

// progWrite writes a planned progressive file's payloads.
type progWrite struct{ p *mp4.Progressive }

func (s progWrite) WriteFragment(f *mp4.Fragment) error { return s.p.WriteFragment(f) }
func (s progWrite) Flush() error                        { return s.p.Close() }

// measured measures the fragments of an indexed fMP4.
type measured struct {
	w   *mp4.Writer
	lay *layout
}

func (s *measured) WriteFragment(f *mp4.Fragment) error {
	before := s.w.BytesWritten()
	if err := s.w.WriteFragment(f); err != nil {
		return err
	}
	s.lay.measure(f, s.w.BytesWritten()-before)
	return nil
}

func (s *measured) Flush() error { return s.w.Flush() }
