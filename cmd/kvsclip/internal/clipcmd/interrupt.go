package clipcmd

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errInterrupted ends the reading of a streamed input that SIGINT or
// SIGTERM stopped.
var errInterrupted = errors.New("interrupted")

// interruptBufSize is the size of each of the two buffers an interruptible
// stream reads into: the 1 MiB of a tuned pipe (clipio.TunePipe) in four reads.
const interruptBufSize = 256 << 10

// interruptible reads a stream on a goroutine of its own, so that a
// signal can end a Read that waits for input — a read from a pipe cannot
// be cancelled. A streamed clip into a file reads through it: stopped by
// Ctrl-C, it still finishes the MP4 at the last whole fragment, which a
// recording of a live stream wants far more than the copy it costs.
//
// Its Read hands out bytes the goroutine read into one of two buffers
// while it reads into the other; a buffer goes back to the goroutine only
// once every byte of it has been handed out.
type interruptible struct {
	sig     <-chan os.Signal
	results chan readResult
	free    chan []byte
	held    []byte // the buffer pending is in
	pending []byte
	err     error
}

type readResult struct {
	buf []byte
	n   int
	err error
}

// newInterruptible starts reading src; a value on sig ends the stream with
// errInterrupted.
func newInterruptible(src io.Reader, sig <-chan os.Signal) *interruptible {
	r := &interruptible{sig: sig, results: make(chan readResult, 2), free: make(chan []byte, 2)}
	r.free <- make([]byte, interruptBufSize)
	r.free <- make([]byte, interruptBufSize)
	go func() {
		for buf := range r.free {
			n, err := src.Read(buf)
			r.results <- readResult{buf, n, err}
			if err != nil {
				return
			}
		}
	}()
	return r
}

func (r *interruptible) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.held != nil {
			// Never blocks: free holds at most the other buffer.
			r.free <- r.held
			r.held = nil
		}
		select {
		case res := <-r.results:
			r.held, r.pending, r.err = res.buf, res.buf[:res.n], res.err
		case <-r.sig:
			r.err = errInterrupted
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// notifyStop delivers SIGINT and SIGTERM on the returned channel until
// stop is called.
func notifyStop() (sig <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	return c, func() { signal.Stop(c) }
}
