package clipio

import "io"

// gatherThreshold is the payload size from which a sample is handed to the
// sink as its own slice instead of being copied into the gather buffer.
//
// It was set by measurement, BenchmarkGatherThreshold (threshold_test.go):
// 2 s fragments of video frames of one mean size, written with every frame
// gathered and with every frame passed through, to a file (one writev per
// fragment, see writev_linux.go) and to loopback TCP (net.Buffers). On the
// development machine (2-core VM, Linux 6.18; median pass/gather throughput
// ratio over 7 interleaved runs) passing through was 0.96× gathering for
// 1 KiB frames on a file and 0.91× on TCP, about even at 2–4 KiB, and ahead
// from 8 KiB on: 1.33× (file) and 1.35× (TCP) at 8 KiB, 1.77× and 1.21× at
// 16 KiB. So the threshold is 8 KiB: AAC and G.711 frames (hundreds of
// bytes) and the smallest video frames are gathered; video frames of
// 1080p or 720p camera streams (tens of KB) pass through untouched. Passing a slice costs a
// 16-byte iovec; copying costs a memmove per byte, which is what loses.
//
// It applies to sinks that take a vector in one call: on Linux, an *os.File
// and a connection with a descriptor (*net.TCPConn, *net.UnixConn), written
// with writev(2) (writev_linux.go); elsewhere, a net.Conn (net.Buffers);
// and everywhere a BuffersWriter.
// Any other sink gets one Write call per piece, and for those
// unvectoredGatherThreshold applies — except io.Discard, to which every
// payload is passed, since writing to it costs nothing.
const gatherThreshold = 8 << 10

// unvectoredGatherThreshold is the gather threshold for sinks that get one
// Write call per piece (a bufio.Writer, an http.ResponseWriter that is not
// a BuffersWriter, any wrapper). The same benchmark with one write(2) per passed frame to a file
// put the break-even between 64 and 128 KiB on the development machine:
// below it, a call per frame costs more than copying the frame.
const unvectoredGatherThreshold = 64 << 10

// BuffersWriter is a sink that takes a flush's pieces in one call without
// a descriptor of its own to writev to: an HTTP response, say, that hands
// them to its connection as one vector (the server's clip responses).
// It gets the gather threshold of a vectored sink.
type BuffersWriter interface {
	io.Writer
	// WriteBuffers writes every piece of v, in order, and returns the
	// bytes written. It may change v (as net.Buffers.WriteTo does) but
	// not the pieces' bytes, and must not keep them after it returns.
	WriteBuffers(v [][]byte) (int64, error)
}

// thresholdFor returns the gather threshold for sink w.
func thresholdFor(w io.Writer) int {
	_, buffers := w.(BuffersWriter)
	switch {
	case w == io.Discard:
		return 0
	case buffers || takesVectors(w):
		return gatherThreshold
	}
	return unvectoredGatherThreshold
}

// gatherBufferSize is the capacity of the reused gather buffer. Only
// payloads under gatherThreshold are copied into it, plus the moof: a 2 s
// fragment of 48 kHz AAC gathers about 40 KB, so 256 KiB holds a fragment's
// small pieces with room to spare and a fragment stays one vectored write.
// A stream of many tiny frames fills it and flushes mid-fragment, which
// costs one more write call. It is allocated once per Writer (per clip),
// so it is kept well below the megabyte it was when most frames were
// gathered.
const gatherBufferSize = 256 << 10

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
	// out is the vector handed to writePieces, which may consume it
	// (net.Buffers.WriteTo does), so it gets its own header over vec's
	// backing array; keeping it in the struct stops it from escaping to the
	// heap on every call.
	out [][]byte
	// fw does vectored writes to a file or connection (Linux); nil until
	// one is seen.
	fw *fileWriter
	// bh, when set, writes flushes to a vectored file in the background
	// (Writer.SetWriteBehind).
	bh *behind
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
// A sink that takes vectored writes (takesVectors) gets one call for the
// whole vector; any other sink gets one Write per piece, which is why
// pieces are either large or gathered.
func (g *gatherer) flush(w io.Writer) error {
	g.cut()
	if g.bh != nil && len(g.vec) > 0 {
		if fw := g.vectoredFile(w); fw != nil {
			g.buf, g.vec = g.bh.send(fw, g.buf, g.vec)
			g.mark = 0
			return nil
		}
	}
	var err error
	switch len(g.vec) {
	case 0:
	case 1:
		_, err = w.Write(g.vec[0])
	default:
		if fw := g.vectoredFile(w); fw != nil {
			_, err = fw.write(g.vec)
			break
		}
		if bw, ok := w.(BuffersWriter); ok {
			g.out = g.vec
			_, err = bw.WriteBuffers(g.out)
			g.out = nil
			break
		}
		g.out = g.vec
		err = g.writePieces(w)
		g.out = nil
	}
	// Drop the references so caller payloads are not kept alive.
	clear(g.vec)
	g.vec = g.vec[:0]
	g.buf = g.buf[:0]
	g.mark = 0
	return err
}
