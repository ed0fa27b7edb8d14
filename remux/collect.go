package remux

import (
	"context"
	"errors"
	"io"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// Collector gathers fragments held in memory for a planned clip: each
// fragment's sample index (fragindex.FromFragment) and its document, the
// fragment's bytes in its input, which become the clip's payload source.
// It is the planned counterpart of a Clipper's Add, for callers whose
// fragments are in memory rather than in an archive: once every fragment
// is in, Plan lays the clip out, and its PlannedClip writes it, whole or by
// ranges, from Payloads.
//
// The zero value is an empty Collector.
type Collector struct {
	idx     []*fragindex.Index
	docs    Documents
	inputs  []int
	offsets []int64 // where each fragment's document is in its input
}

// Add adds the next fragment of the clip. doc is its document: the bytes
// of f in its input (from f.Offset, f.Size long), which f's blocks lie in;
// it must stay valid and unchanged as long as the clip is written. The
// collector keeps f's index, not f, so f may be reused after Add returns
// (as an mkv.Reader reuses its fragments). f.Index numbers the fragment in
// the manifest and in errors.
func (c *Collector) Add(f *mkv.Fragment, doc []byte) {
	c.idx = append(c.idx, fragindex.FromFragment(f, f.Size))
	c.docs = append(c.docs, doc)
	c.inputs = append(c.inputs, f.Index)
	c.offsets = append(c.offsets, f.Offset)
}

// AddAll adds every fragment of data, a whole input in memory, each with
// its bytes in data as its document. It stops at the first fragment the
// reader cannot read, and returns its error, located as a Clipper's AddAll
// locates it; the fragments before it stay added.
func (c *Collector) AddAll(data []byte) error {
	return eachFragment(data, func(f *mkv.Fragment, doc []byte) error {
		c.Add(f, doc)
		return nil
	})
}

// eachFragment calls add with every fragment of data and its document, and
// returns the first error of the reader (located) or of add.
func eachFragment(data []byte, add func(f *mkv.Fragment, doc []byte) error) error {
	r := mkv.NewBytesReader(data)
	end := int64(len(data))
	for n := 0; ; n++ {
		f, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readError(err, n)
		}
		if err := add(f, data[min(f.Offset, end):min(f.Offset+f.Size, end)]); err != nil {
			return err
		}
	}
}

// Len returns how many fragments have been added.
func (c *Collector) Len() int { return len(c.idx) }

// Plan plans the clip of the fragments added so far, in the order they
// were added (see the function Plan, whose opts these are; the fragments'
// numbers come from their Index, whatever opts.Inputs says). The documents
// are its payload source for planning; a write takes Payloads. The Offset
// of a *kvs.Error counts in the fragment's input, as a Clipper's does.
func (c *Collector) Plan(ctx context.Context, opts *PlanOptions) (*PlannedClip, error) {
	var o PlanOptions
	if opts != nil {
		o = *opts
	}
	o.Inputs = c.inputs
	pc, err := Plan(ctx, c.idx, c.docs, &o)
	var ke *kvs.Error
	if errors.As(err, &ke) && ke.Offset >= 0 {
		// The fragment planned last is the one that failed.
		if n := len(pc.man.Fragments); n > 0 && n <= len(c.offsets) {
			ke.Offset += c.offsets[n-1]
		}
	}
	return pc, err
}

// Payloads returns the documents added, as the payload source of the
// clip's writes.
func (c *Collector) Payloads() Documents { return c.docs }
