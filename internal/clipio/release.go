package clipio

import "os"

// Releaser drops the pages of a mapped input that the clip has written
// (madvise MADV_DONTNEED), on a goroutine of its own. Tearing down the
// page table entries of a mapping costs about 1.5 ms for 70 MB on the
// benchmark machine (bench/README.md); done at the end, by munmap or the
// process's exit, that time adds to the run, while done here it overlaps
// the writes, on the second core. Dropping is safe whatever comes after:
// the file's data stay in the page cache, and touching a dropped page
// again — a clip made a second time — faults it back in.
//
// The goroutine starts with the first notice, writesLag fragments into
// the clip: started with the clip, it was one more thread to start while
// the first fragments are read, and the first write came about 0.3 ms
// later.
type Releaser struct {
	data    []byte
	ch      chan int64
	starts  []int64       // where each fragment added begins in data (the writer's side)
	sent    int64         // the last notice sent (the writer's side)
	running bool          // run's goroutine has started (the writer's side)
	ended   chan struct{} // closed when run's goroutine has ended, or at close if it never ran
	done    int64         // bytes from the start already dropped (run's side)
}

// writesLag is how many fragments the written bytes may trail the fragment
// just added (Releaser.Added): the clipper holds that one back for its
// durations, a Writer's write-behind may still hold behindBatches batches
// (one being filled, one being written, one waiting), and a fragment whose
// small payloads overflow a gather buffer takes two batches. It is tied to
// behindBatches here, in the package that owns both, so that neither can
// change without the other. Dropping pages too early costs time (faulting
// them in again), never bytes.
const writesLag = 1 + behindBatches + 1

// releaseBatch is the least a release drops: one madvise call and one
// TLB shootdown per 4 MiB rather than per fragment.
const releaseBatch = 4 << 20

// NewReleaser returns a Releaser of data, a mapping MapFile made.
func NewReleaser(data []byte) *Releaser {
	return &Releaser{data: data, ch: make(chan int64, 1024), ended: make(chan struct{})}
}

// Added says that the fragment starting at off in the input has been
// handed to the clip, which writes it through a Writer (with
// write-behind, if set) and holds at most this one fragment back: what
// lies before the fragment writesLag places back has been written, and its
// pages may go. It never blocks.
func (r *Releaser) Added(off int64) {
	r.starts = append(r.starts, off)
	if len(r.starts) > writesLag {
		r.upTo(r.starts[len(r.starts)-1-writesLag])
	}
}

// notify hands a notice to run, starting its goroutine with the first.
func (r *Releaser) notify(off int64) bool {
	if !r.running {
		r.running = true
		go func() {
			defer close(r.ended)
			r.run()
		}()
	}
	select {
	case r.ch <- off:
		return true
	default:
		return false
	}
}

// upTo says that the bytes of the input before off are no longer needed.
// It never blocks the writer: a full queue drops the notice, and a later
// one covers it. Notices come a batch apart: each wakes the releaser's
// thread, which on a virtual machine costs the writer an interrupt.
func (r *Releaser) upTo(off int64) {
	if off-r.sent < releaseBatch {
		return
	}
	if r.notify(off) {
		r.sent = off
	}
}

// All says that no byte of the input is needed any more: the clip is
// written, and nothing will read the input again.
func (r *Releaser) All() {
	r.notify(int64(len(r.data)) + releaseBatch)
}

// Close ends the goroutine and returns once it has ended, whatever state
// the clip is in: the mapping may go after it.
func (r *Releaser) Close() {
	close(r.ch)
	if !r.running {
		close(r.ended)
	}
	<-r.ended
}

// run drops pages as notices come, until Close.
func (r *Releaser) run() {
	page := int64(os.Getpagesize())
	for off := range r.ch {
		last := off > int64(len(r.data)) // from All
		end := min(off, int64(len(r.data))) / page * page
		if end-r.done < releaseBatch && !last {
			continue
		}
		dropPages(r.data[r.done:end])
		r.done = end
	}
}
