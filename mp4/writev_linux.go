package mp4

import (
	"io"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// maxIovecs is IOV_MAX on Linux: the most pieces one writev takes.
const maxIovecs = 1024

// fileWriter writes vectors with writev(2) to a sink with a descriptor: an
// *os.File, or a connection of package net. The standard library only does
// vectored writes for network connections (net.Buffers); for a file it
// would make one write call per piece, and on the development machine a
// write call costs as much as copying several kilobytes. Connections are
// written the same way, through the descriptor their SyscallConn gives, so
// files and sockets share one path.
//
// Everything is reused: the iovec array, and the callback handed to
// RawConn.Write, which is a method value made once, so a flush allocates
// nothing.
type fileWriter struct {
	sink io.Writer
	name string // of a file, for errors
	rc   syscall.RawConn
	iov  []syscall.Iovec
	vec  [][]byte // pieces left to write; advanced as writev makes progress
	n    int64
	err  error
	call func(fd uintptr) bool
	// regular says f is a regular file, written with a raw system call
	// (see writev).
	regular bool
}

// rawSink is a sink with a descriptor to writev to: an *os.File, a
// *net.TCPConn, a *net.UnixConn.
type rawSink interface {
	io.Writer
	SyscallConn() (syscall.RawConn, error)
}

// takesVectors reports whether w gets one writev per flush.
func takesVectors(w io.Writer) bool {
	_, ok := w.(rawSink)
	return ok
}

// vectoredFile returns g's fileWriter for w when w is a rawSink that
// offers a RawConn, else nil.
func (g *gatherer) vectoredFile(w io.Writer) *fileWriter {
	s, ok := w.(rawSink)
	if !ok {
		return nil
	}
	if g.fw != nil && g.fw.sink == w {
		return g.fw
	}
	rc, err := s.SyscallConn()
	if err != nil {
		return nil
	}
	fw := &fileWriter{sink: w, rc: rc}
	if f, ok := w.(*os.File); ok {
		fw.name = f.Name()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			fw.regular = true
		}
	}
	fw.call = fw.writev
	g.fw = fw
	return fw
}

// writePieces writes g.out one piece at a time: the sink takes no vectors.
func (g *gatherer) writePieces(w io.Writer) error {
	for _, p := range g.out {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// write writes every piece of vec, in order.
func (fw *fileWriter) write(vec [][]byte) (int64, error) {
	fw.vec, fw.n, fw.err = vec, 0, nil
	for len(fw.vec) > 0 && fw.err == nil {
		if err := fw.rc.Write(fw.call); err != nil && fw.err == nil {
			fw.err = err
		}
	}
	fw.vec = nil
	return fw.n, fw.err
}

// writev is the RawConn callback: one writev of up to maxIovecs pieces. It
// returns false to wait for the descriptor (a non-blocking pipe that is
// full) and true when it made progress or failed.
func (fw *fileWriter) writev(fd uintptr) bool {
	fw.iov = fw.iov[:0]
	for _, p := range fw.vec[:min(len(fw.vec), maxIovecs)] {
		if len(p) == 0 {
			continue
		}
		v := syscall.Iovec{Base: unsafe.SliceData(p)}
		v.SetLen(len(p))
		fw.iov = append(fw.iov, v)
	}
	if len(fw.iov) == 0 {
		fw.vec = fw.vec[:0]
		return true
	}
	iov, cnt := uintptr(unsafe.Pointer(&fw.iov[0])), uintptr(len(fw.iov))
	var r uintptr
	var errno syscall.Errno
	if fw.regular {
		// A write to a regular file copies into the page cache and
		// returns; it does not wait for a peer as a pipe or a socket
		// can. Made as a raw call, it keeps the goroutine's P: made as
		// an ordinary one, a write of a 2 MB fragment outlasts the
		// 20 µs after which the scheduler hands the P to another
		// thread, and taking it back costs thread switches at every
		// fragment — 0.6 ms of the 22 ms the benchmark recording
		// takes (bench/README.md). What it gives up: while a write
		// waits on a stalled disk, that P runs nothing else and a
		// garbage collection cannot start.
		r, _, errno = syscall.RawSyscall(syscall.SYS_WRITEV, fd, iov, cnt)
	} else {
		r, _, errno = syscall.Syscall(syscall.SYS_WRITEV, fd, iov, cnt)
	}
	switch errno {
	case 0:
	case syscall.EAGAIN:
		return false
	case syscall.EINTR:
		return true
	default:
		if fw.name != "" {
			fw.err = &os.PathError{Op: "writev", Path: fw.name, Err: errno}
		} else {
			fw.err = os.NewSyscallError("writev", errno)
		}
		return true
	}
	if r == 0 {
		fw.err = io.ErrShortWrite
		return true
	}
	// Drop what was written: whole pieces, then the front of a partial one.
	n := int(r)
	fw.n += int64(n)
	for n > 0 && len(fw.vec) > 0 {
		if n >= len(fw.vec[0]) {
			n -= len(fw.vec[0])
			fw.vec = fw.vec[1:]
			continue
		}
		fw.vec[0] = fw.vec[0][n:]
		n = 0
	}
	for len(fw.vec) > 0 && len(fw.vec[0]) == 0 {
		fw.vec = fw.vec[1:]
	}
	return true
}

// pause sleeps for d on the calling thread (nanosleep), which wakes by its
// own timer: unlike time.Sleep, which rounds a pause under a millisecond up
// to one, and unlike a channel, which another goroutine must signal.
func pause(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}

// vectoredFiles tells that an *os.File sink gets one writev per flush.
const vectoredFiles = true
