package clipio

import (
	"runtime"
	"time"
)

// Write-behind (Writer.SetWriteBehind): a Writer whose sink is a file
// written with writev hands each flush to a goroutine that only writes, so
// that the caller's work on the next fragments — timing them, checking
// their frames, encoding their moofs — runs on another core meanwhile, and
// the writes follow one another with no gap between them.
//
// The writing goroutine lives from the first flush to Flush. Starting one
// per flush instead, or letting it end whenever the queue runs empty, was
// measured slower on the benchmark recording (by 1 to 1.5 ms of 21): each
// start waits for the runtime to wake a thread on the idle core. A Writer
// dropped without Flush has its goroutine ended by a cleanup
// (runtime.AddCleanup) once the Writer is unreachable.

// behindBatches is how many batches a Writer fills and writes in turn: one
// being filled by the caller, one being written and one waiting. With the
// writes as the slow side, the waiting one keeps the writer busy while the
// caller, finding a batch free (waitFree), catches up. More were measured no
// faster: each costs a gather buffer, and the pages of the mapped input
// must stay mapped that many fragments longer (Releaser, writesLag).
const behindBatches = 3

// The caller waits for a free batch by polling: freePolls times, a pause
// (freePollPause, a nanosleep on Linux) apart, before it blocks. Blocked,
// it must be woken by the writing goroutine, and waking a thread on the
// other core costs the waker, between two of its writes, about 25 µs on
// the benchmark machine (a VM: the wake-up is an interrupt sent through
// the hypervisor). Once a fragment that was 0.8 ms of writer time lost in
// a 21 ms clip; polling, the writer only puts the batch back. The polls
// cost the caller a system call each while the writes take their time,
// and after freePolls it blocks, so that a stalled sink (a disk that stops
// answering) does not keep it polling.
const (
	freePollPause = 50 * time.Microsecond
	freePolls     = 40 // 2 ms
)

// batch is one flush's worth: the gather buffer and the vector over it and
// the caller's payloads.
type batch struct {
	buf []byte
	vec [][]byte
}

// behind is the state of write-behind for one Writer.
type behind struct {
	queue chan *batch // to the writing goroutine; nil when it is not running
	free  chan *batch // written batches, to be filled again
	done  chan error  // the writing goroutine's first error, when it ends
	made  int         // batches made so far
	cur   *batch      // the batch being filled
	slow  int         // waits for a batch that outlasted the polls
}

// newBehind returns the write-behind state for w, with the cleanup that
// ends its goroutine should w be dropped before Flush.
func newBehind(w *Writer) *behind {
	b := &behind{free: make(chan *batch, behindBatches)}
	runtime.AddCleanup(w, (*behind).stop, b)
	return b
}

// send queues what was gathered — buf and the vector over it — for the
// goroutine writing to fw, starting it if needed, and returns an empty buffer
// and vector to gather into next, waiting for a batch to be written when
// all are in use.
func (b *behind) send(fw *fileWriter, buf []byte, vec [][]byte) ([]byte, [][]byte) {
	if b.cur == nil {
		b.cur, b.made = &batch{}, 1
	}
	b.cur.buf, b.cur.vec = buf, vec
	if b.queue == nil {
		b.queue = make(chan *batch, behindBatches)
		b.done = make(chan error, 1)
		go b.write(fw, b.queue, b.done)
	}
	b.queue <- b.cur
	select {
	case b.cur = <-b.free:
	default:
		if b.made < behindBatches {
			b.cur = &batch{}
			b.made++
		} else {
			b.cur = b.waitFree()
		}
	}
	return b.cur.buf, b.cur.vec
}

// waitFree returns a written batch, waiting for one (see freePolls).
func (b *behind) waitFree() *batch {
	for range freePolls {
		select {
		case f := <-b.free:
			return f
		default:
			pause(freePollPause)
		}
	}
	b.slow++
	return <-b.free
}

// write writes the batches in order until the queue is closed; after an
// error it writes nothing more but keeps freeing batches.
func (b *behind) write(fw *fileWriter, queue <-chan *batch, done chan<- error) {
	var err error
	for full := range queue {
		if err == nil {
			_, err = fw.write(full.vec)
		}
		clear(full.vec) // keeps no caller payload alive
		full.vec, full.buf = full.vec[:0], full.buf[:0]
		b.free <- full
	}
	done <- err
}

// wait ends the writing goroutine once it has written everything sent,
// and returns its first error.
func (b *behind) wait() error {
	if b.queue == nil {
		return nil
	}
	b.stop()
	return <-b.done
}

// stop lets the writing goroutine end once it has written what is queued.
func (b *behind) stop() {
	if b.queue != nil {
		close(b.queue)
		b.queue = nil
	}
}
