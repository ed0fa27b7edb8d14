//go:build !linux

package mp4

import "io"

// fileWriter is Linux only; elsewhere files get one Write per piece.
type fileWriter struct{}

func (g *gatherer) vectoredFile(io.Writer) *fileWriter { return nil }

func (fw *fileWriter) write([][]byte) (int64, error) { panic("unreachable") }

// vectoredFiles tells that an *os.File sink gets one Write per piece here.
const vectoredFiles = false
