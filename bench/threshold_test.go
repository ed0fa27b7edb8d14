package bench

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mp4"
)

// BenchmarkGatherThreshold is the measurement behind mp4.GatherThreshold.
// For video frames of a given mean size it writes 2 s fragments (60 frames
// ±12%, plus 94 small AAC frames, always gathered) to a real file and to a
// loopback TCP connection, once with the frames copied into the gather
// buffer and once with each frame passed through as its own slice (one
// write call per frame to a file, one writev per fragment to a socket).
// The threshold belongs where "pass" starts to beat "gather" on both
// sinks. Compare the pairs with benchstat or by eye: MB/s is payload.
func BenchmarkGatherThreshold(b *testing.B) {
	sinks := []struct {
		name string
		open func(b *testing.B) io.Writer
	}{
		{"file", openFile},
		{"tcp", openLoopback},
	}
	for _, sink := range sinks {
		for _, size := range []int{1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 256 << 10} {
			f, n := gopFragment(size, size)
			for _, mode := range []string{"gather", "pass"} {
				b.Run(fmt.Sprintf("%s/frame=%dK/%s", sink.name, size>>10, mode), func(b *testing.B) {
					dst := sink.open(b)
					w, err := mp4.NewWriter(dst, benchTracks(b))
					require.NoError(b, err)
					if mode == "gather" {
						w.SetGatherThreshold(1 << 30)
					} else {
						w.SetGatherThreshold(size / 2) // video passes, audio is gathered
					}
					require.NoError(b, w.WriteInit())
					b.SetBytes(n)
					b.ReportAllocs()
					var mark int64
					for b.Loop() {
						if err := w.WriteFragment(f); err != nil {
							b.Fatal(err)
						}
						rewind(b, dst, w, &mark)
					}
				})
			}
		}
	}
}

// openFile opens a file sink. It is the *os.File itself, so the writer's
// vectored path for files is what is measured.
func openFile(b *testing.B) io.Writer {
	fh, err := os.Create(filepath.Join(b.TempDir(), "out.mp4"))
	require.NoError(b, err)
	b.Cleanup(func() { fh.Close() })
	return fh
}

// rewind starts a file sink over at offset 0 every 64 MiB, so the benchmark
// measures writes into the page cache without filling the disk or waiting
// for the writeback of gigabytes.
func rewind(b *testing.B, dst io.Writer, w *mp4.Writer, mark *int64) {
	fh, ok := dst.(*os.File)
	if !ok || w.BytesWritten()-*mark < 64<<20 {
		return
	}
	*mark = w.BytesWritten()
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		b.Fatal(err)
	}
}

// openLoopback returns the client end of a loopback TCP connection whose
// server end a goroutine drains.
func openLoopback(b *testing.B) io.Writer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, c)
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(b, err)
	b.Cleanup(func() {
		c.Close()
		ln.Close()
		<-done
	})
	return c
}

func openFileT(t *testing.T) io.Writer {
	fh, err := os.Create(filepath.Join(t.TempDir(), "out.mp4"))
	require.NoError(t, err)
	t.Cleanup(func() { fh.Close() })
	return fh
}
