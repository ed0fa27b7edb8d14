// Package clipio owns how kvsclip moves a clip's bytes between memory and
// the operating system: the I/O policy that package mp4, an encoder, and
// package remux, the timing, leave out.
//
// On the output side, [Writer] is the mp4.VectorWriter the engine wraps
// around every destination. It copies short pieces into a reused gather
// buffer and passes long ones by reference, below and above a threshold
// measured per kind of sink (gatherThreshold, BenchmarkGatherThreshold);
// it writes each fragment with one writev(2) through the descriptor's
// syscall.RawConn on Linux, to a file or a socket, with the non-blocking
// retry of RawConn.Write for a socket or a pipe and an ordinary (never a
// raw) system call, so that a write stalled on a disk lets the garbage
// collector run; and it can write behind the caller, on a goroutine of its
// own, for a clip whose payloads outlive their fragment
// ([Writer.SetWriteBehind]). [Preallocate] reserves an output file's
// blocks up front.
//
// On the input side, [MapFile] maps a recording, [TunePipe] enlarges a
// piped stdin's buffer, and [Releaser] drops the pages of a mapped input
// once the clip has written them. How far behind the writes may trail the
// fragments handed to the clip depends on how many batches write-behind
// keeps in flight; both are this package's, so that invariant is a
// constant here (writesLag) rather than an agreement between packages.
//
// Everything platform-specific is here: outside Linux, files get one Write
// per piece, connections a net.Buffers write, and the input-side calls do
// nothing.
package clipio
