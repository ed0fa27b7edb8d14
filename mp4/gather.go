package mp4

import (
	"io"
	"net"
)

// GatherThreshold is the payload size from which a sample is handed to the
// sink as its own slice instead of being copied into the gather buffer.
//
// Below it the fixed cost of a write call dominates: on the development
// machine, one write per 16 KB frame made a file 2.7x slower to write than
// gathering frames into one 1 MiB buffer (see DESIGN.md). Copying is not
// free either, and its cost grows with the size while a write call's fixed
// cost does not; at 64 KiB a memmove takes a few microseconds, the same
// order as a write call, so from there on an extra copy no longer pays.
// Typical KVS video frames (P frames of a few to tens of KB) are gathered;
// key frames of high-bitrate streams pass through.
const GatherThreshold = 64 << 10

// gatherBufferSize is the capacity of the reused gather buffer: big enough
// that a write call carries about a megabyte, which is where the per-call
// cost stops showing in throughput, and small enough to keep per-clip
// memory at one buffer, whatever the clip length.
const gatherBufferSize = 1 << 20

// gatherer collects the output of a Writer: small pieces are copied into buf,
// large ones are remembered as slices, and flush writes everything in order
// with one vectored write.
type gatherer struct {
	// buf holds copied bytes; len(buf) is the fill level. Its capacity is
	// gatherBufferSize unless a single moof needed more.
	buf []byte
	// mark is where the bytes of buf that are not yet listed in vec start.
	mark int
	// vec lists, in output order, the pieces of the next write: regions
	// of buf and caller-owned payloads. It is reused, so it stops growing
	// after warm-up.
	vec [][]byte
	// out is the net.Buffers handed to WriteTo. WriteTo consumes the slice
	// it is called on, so it gets its own header over vec's backing array;
	// keeping it in the struct stops it from escaping to the heap on every
	// call.
	out net.Buffers
	// external is set while vec refers to memory the caller owns.
	external bool
}

// extend appends n bytes to buf and returns them for the caller to fill,
// flushing to w first when buf has less room.
func (g *gatherer) extend(w io.Writer, n int) ([]byte, error) {
	if cap(g.buf)-len(g.buf) < n {
		if err := g.flush(w); err != nil {
			return nil, err
		}
		if cap(g.buf) < n {
			// Only the first write (the buffer is made lazily) or a moof
			// larger than the buffer gets here; the larger buffer is kept.
			g.buf = make([]byte, 0, max(n, gatherBufferSize))
		}
	}
	l := len(g.buf)
	g.buf = g.buf[:l+n]
	return g.buf[l:], nil
}

// copyIn appends a copy of p.
func (g *gatherer) copyIn(w io.Writer, p []byte) error {
	dst, err := g.extend(w, len(p))
	if err != nil {
		return err
	}
	copy(dst, p)
	return nil
}

// passThrough appends p by reference. The caller must flush before p's
// memory may change.
func (g *gatherer) passThrough(p []byte) {
	g.cut()
	g.vec = append(g.vec, p)
	g.external = true
}

// cut lists the bytes copied into buf since the last cut in vec.
func (g *gatherer) cut() {
	if n := len(g.buf); n > g.mark {
		g.vec = append(g.vec, g.buf[g.mark:n:n])
		g.mark = n
	}
}

// pending reports whether anything waits to be written.
func (g *gatherer) pending() bool {
	return len(g.vec) > 0 || len(g.buf) > g.mark
}

// flush writes everything gathered to w and empties the gatherer, also when
// the write fails (the Writer's error is sticky then).
//
// A sink that implements vectored writes (a net.Conn) gets one writev; any
// other sink, *os.File included, gets one Write per piece, which is why
// pieces are either large or gathered into about a megabyte.
func (g *gatherer) flush(w io.Writer) error {
	g.cut()
	var err error
	switch len(g.vec) {
	case 0:
	case 1:
		_, err = w.Write(g.vec[0])
	default:
		g.out = g.vec
		_, err = g.out.WriteTo(w)
		g.out = nil
	}
	// Drop the references so caller payloads are not kept alive.
	clear(g.vec)
	g.vec = g.vec[:0]
	g.buf = g.buf[:0]
	g.mark = 0
	g.external = false
	return err
}
