package clipcmd

import (
	"io"
	"os"

	"github.com/kvsclip/kvsclip/dedup"
	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/remux"
)

// reading is a clip of every fragment of mapped inputs into a file of
// ours, made as the inputs are read (reading.clip), and for a single input
// the goroutine that drops the pages of the mapping the clip has written
// (clipio.Releaser).
type reading struct {
	ins   []*input
	opts  remux.ClipOptions // of the clip, for planning it again
	total int64             // bytes of all inputs
	rel   *clipio.Releaser  // nil with several inputs
}

// startReading prepares the clip of ins, which must all be mapped, with
// opts.
func startReading(ins []*input, opts *remux.ClipOptions) *reading {
	rd := &reading{ins: ins, opts: *opts}
	for _, in := range ins {
		rd.total += int64(len(in.data))
	}
	if len(ins) == 1 {
		rd.rel = clipio.NewReleaser(ins[0].data)
	}
	return rd
}

// releaseAll lets the releaser drop every page left, once the clip is
// written and nothing will read the input again; it does so while the
// caller finishes the output.
func (rd *reading) releaseAll() {
	if rd.rel != nil {
		rd.rel.All()
	}
}

// wait returns once the releaser has ended, whatever state the clip is in:
// the mappings may go after it.
func (rd *reading) wait() {
	if rd.rel != nil {
		rd.rel.Close()
	}
}

// clip clips every fragment into the file out as the inputs are read.
//
// Without --start, --end or caps the selection keeps every fragment in
// input order, unless some fragment repeats another (same number, or same
// producer timestamp); it cannot be known before the last fragment has
// been read, but it is almost always so. So each fragment is added to the
// clipper as soon as it is read, in input order, and the mp4 writer's
// goroutine writes it while the next ones are read (write-behind). When
// the reading ends, the selection is run over everything read; if it keeps
// anything other than every fragment in order, what was written is thrown
// away and the clip planned again from the fragments read, as
// selectAndPlan plans it. The result is the same either way; only the time
// differs.
//
// Reading and clipping are one goroutine, the caller's. With a reading
// goroutine of their own (measured slower, bench/README.md), the clipper,
// woken when a batch was written, waited on the writer's P while the
// reader kept the other one, and the writes stopped until it ran.
//
// The clip is written in one pass (remux.FileWriter, made by newWriter),
// with room for an index sized from the input's length over the first
// fragment's; more fragments than that make Close write the clip a second
// time. A mapped input that faults (a file cut short under us) panics
// here, and the caller must recover it (recoverFault).
func (rd *reading) clip(newWriter func(room int) (*remux.FileWriter, error), out *os.File) (*remux.FileWriter, *plannedClip, dedup.Selection, error) {
	clipio.Preallocate(out, preallocation(rd.total))
	var (
		c      *remux.FileWriter
		addErr error
	)
	frags, err := readInputs(rd.ins, func(f inputFragment) {
		if addErr != nil {
			return // read on: the selection may restart the clip
		}
		if c == nil {
			if c, addErr = newWriter(guessIndexRoom(rd.total, f.f.Size)); addErr != nil {
				return
			}
		}
		addErr = c.Add(f.f, f.doc)
		if rd.rel != nil && addErr == nil && len(f.f.Blocks) > 0 {
			// The clipper holds f back, and the writes of the
			// fragments before it may still be queued (write
			// behind): the releaser knows how far back that goes.
			rd.rel.Added(f.f.Blocks[0].Offset)
		}
	})
	if err != nil {
		return nil, nil, dedup.Selection{}, err
	}
	metas := make([]kvs.Fragment, len(frags))
	for i := range frags {
		metas[i] = metaOf(frags[i].f)
	}
	sel, selErr := dedup.Select(nil, metas, dedup.Limits{})
	switch {
	case !everyInOrder(sel, len(frags)) || c == nil:
		// Start again with the selection's fragments. (No fragment at
		// all lands here too, and gets its error from the selection.)
		// The first clipper may still be writing: Abort waits for it.
		if c != nil {
			c.Abort()
		}
		if err := restart(out); err != nil {
			return nil, nil, dedup.Selection{}, err
		}
		pc, sel, err := planSelected(rd.ins, frags, nil, dedup.Limits{}, &rd.opts)
		return nil, pc, sel, err
	case selErr != nil:
		return c, nil, sel, selErr
	}
	return c, nil, sel, addErr
}

// everyInOrder reports whether a selection over n fragments keeps all of
// them in input order.
func everyInOrder(sel dedup.Selection, n int) bool {
	if len(sel.Chosen) != n || len(sel.Dropped) != 0 {
		return false
	}
	for i, c := range sel.Chosen {
		if c != i {
			return false
		}
	}
	return true
}

// indexRoom guesses how many fragments an input of total bytes holds from
// the size of its first one, doubled with some to spare: KVS fragments
// of one stream are of one duration, and so of similar sizes. A wrong
// guess costs time, not correctness (see reading.clip); the unused room costs
// 12 bytes a fragment.
func indexRoom(total, first int64) int {
	const spare = 16
	if first <= 0 {
		first = 1
	}
	n := (total+first-1)/first*2 + spare
	return int(min(n, 1<<16-1))
}

// guessIndexRoom is indexRoom; tests make it guess wrong.
var guessIndexRoom = indexRoom

// preallocation is how much of the output file to preallocate for an input
// of total bytes: all of the clip and some to spare, cut to size at the end
// (cutTo, an ext4 truncate of about 0.13 ms). A clip of a whole recording
// is within a fraction of a percent of the recording's size (the Matroska
// block headers it drops about balance the moofs and the index it adds:
// 73,711,354 bytes from the benchmark recording's 73,713,890).
//
// No byte of the clip may be left to delayed allocation: when the clip is
// renamed over an existing file, ext4 (auto_da_alloc) starts the writeback
// of every dirty page of a file that still has blocks to allocate, in the
// rename itself. Preallocating all but the last 1/64, as this did before,
// left that part delayed: renaming the benchmark recording's clip over the
// previous one took 31–45 ms, against 15–33 ms with nothing delayed (the
// rest is the old file's pages and blocks being freed, which cp's
// truncation of the file it replaces pays too; bench/README.md).
func preallocation(total int64) int64 { return total + total/64 }

// cutTo makes f size bytes long, if it is not already.
func cutTo(f *os.File, size int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == size {
		return nil
	}
	return f.Truncate(size)
}

// restart empties the output for a new attempt.
func restart(out *os.File) error {
	if err := out.Truncate(0); err != nil {
		return err
	}
	_, err := out.Seek(0, io.SeekStart)
	return err
}
