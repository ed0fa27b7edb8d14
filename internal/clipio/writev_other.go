//go:build !linux

package clipio

import (
	"io"
	"net"
	"time"
)

// fileWriter is Linux only; elsewhere files get one Write per piece.
type fileWriter struct{}

func (g *gatherer) vectoredFile(io.Writer) *fileWriter { return nil }

func (fw *fileWriter) write([][]byte) (int64, error) { panic("unreachable") }

// takesVectors reports whether w takes a vector in one call: here, a
// net.Conn through net.Buffers.
func takesVectors(w io.Writer) bool {
	_, ok := w.(net.Conn)
	return ok
}

// writePieces writes g.out to w: one vectored write to a net.Conn, one
// Write per piece to anything else.
func (g *gatherer) writePieces(w io.Writer) error {
	_, err := (*net.Buffers)(&g.out).WriteTo(w)
	return err
}

// pause is for write-behind, which only runs on Linux.
func pause(d time.Duration) { time.Sleep(d) }

// vectoredFiles tells that an *os.File sink gets one Write per piece here.
const vectoredFiles = false
