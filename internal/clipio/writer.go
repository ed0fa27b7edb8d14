package clipio

import (
	"io"
	"runtime"
)

// Writer hands the pieces of a clip to an io.Writer in few, large writes:
// pieces below the sink's gather threshold (see gatherThreshold) are
// copied into a reused buffer, larger ones are passed by reference, and
// each flush gives the sink everything in order, in one vectored write
// where the sink takes one (writev on Linux for a file or a socket,
// net.Buffers for a connection elsewhere).
//
// It is the mp4.VectorWriter the engine gives mp4.Writer and
// mp4.Progressive: WriteVector takes one fragment (the boxes the encoder
// reuses, then the payloads) and flushes it, so a live clip streams
// fragment by fragment. A planned clip adds its pieces one by one (Add)
// and flushes at the end of each fragment.
//
// After a write error every method returns it.
type Writer struct {
	w     io.Writer
	g     gatherer
	below int // gather threshold: pieces this long or longer pass through
	err   error
}

// NewWriter returns a Writer to w, with the gather threshold of w's kind.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, below: thresholdFor(w)}
}

// Reset makes cw write to w, keeping its buffers, after the last Flush: a
// writer of many clips reuses one Writer. Write-behind stays as it was.
func (cw *Writer) Reset(w io.Writer) {
	cw.w, cw.below, cw.err = w, thresholdFor(w), nil
}

// SetWriteBehind makes a Writer whose sink is a file written with writev
// (Linux) hand each flush to a goroutine that writes it, and return at
// once, so that the caller's work on the next fragments overlaps the
// writing on another core. Payloads passed by reference must then stay
// unchanged until Flush returns, not only until their WriteVector does; a
// write error is returned by Flush, which waits for every write. (A Writer
// dropped without Flush writes what it was handed, and its goroutine
// ends.) For other sinks it changes nothing, and in a process that runs
// goroutines on one core only (GOMAXPROCS 1, as Go sets it under a
// one-CPU affinity or container limit) it changes nothing either: there
// the caller and the writing goroutine take turns on the one P, and each
// turn waits for the runtime to hand it over. The benchmark recording's
// clip took 36 ms that way on one CPU against 25 ms written in line
// (bench/README.md).
func (cw *Writer) SetWriteBehind() {
	if cw.g.bh == nil && runtime.GOMAXPROCS(0) > 1 {
		cw.g.bh = newBehind(cw)
	}
}

// Write writes p at once, after everything handed over before it: it is
// for the init segment or header that starts a clip, which a streaming
// consumer should get as soon as it is known (time to first byte). It
// keeps no reference to p.
func (cw *Writer) Write(p []byte) (int, error) {
	if err := cw.Flush(); err != nil {
		return 0, err
	}
	n, err := cw.w.Write(p)
	if err != nil {
		cw.err = err
	}
	return n, err
}

// WriteVector writes one fragment: head, which the caller reuses once
// WriteVector returns and is therefore copied, then the payloads, and
// hands it all to the sink. Without write-behind everything is written
// when it returns.
func (cw *Writer) WriteVector(head []byte, payloads [][]byte) error {
	if cw.err != nil {
		return cw.err
	}
	if len(head) > 0 {
		if err := cw.g.copyIn(cw.w, head); err != nil {
			cw.err = err
			return err
		}
	}
	for _, p := range payloads {
		if err := cw.Add(p); err != nil {
			return err
		}
	}
	return cw.handOver()
}

// Add appends b to the output: copied when it is short, else by reference,
// and then b must stay unchanged until the next Flush returns (with
// write-behind, until Flush). It may write what was added before, when the
// gather buffer is full.
func (cw *Writer) Add(b []byte) error {
	if cw.err != nil {
		return cw.err
	}
	if len(b) >= cw.below {
		cw.g.passThrough(b)
		return nil
	}
	if err := cw.g.copyIn(cw.w, b); err != nil {
		cw.err = err
	}
	return cw.err
}

// Flush writes everything added to the sink and, with write-behind, waits
// until the writing goroutine has written it all.
func (cw *Writer) Flush() error {
	if err := cw.handOver(); err != nil {
		return err
	}
	if cw.g.bh != nil {
		if err := cw.g.bh.wait(); err != nil {
			cw.err = err
		}
	}
	return cw.err
}

// handOver gives the sink, or the writing goroutine, what was gathered.
func (cw *Writer) handOver() error {
	if cw.err != nil {
		return cw.err
	}
	if !cw.g.pending() {
		return nil
	}
	if err := cw.g.flush(cw.w); err != nil {
		cw.err = err
	}
	return cw.err
}
