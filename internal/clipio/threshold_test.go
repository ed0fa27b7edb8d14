package clipio

import (
	"fmt"
	"io"
	"net"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkGatherThreshold is the measurement behind gatherThreshold. For
// video frames of a given mean size it writes 2 s fragments (a moof, 60
// frames ±12%, plus 94 small AAC frames, always gathered) to a real file
// and to a loopback TCP connection, once with the frames copied into the
// gather buffer and once with each frame passed through as its own slice
// (one writev per fragment either way). The threshold belongs where
// "pass" starts to beat "gather" on both sinks. Compare the pairs with
// benchstat or by eye: MB/s is payload.
func BenchmarkGatherThreshold(b *testing.B) {
	sinks := []struct {
		name string
		open func(b *testing.B) io.Writer
	}{
		{"file", func(b *testing.B) io.Writer { return openFile(b) }},
		{"tcp", openLoopback},
	}
	for _, sink := range sinks {
		for _, size := range []int{1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 256 << 10} {
			f, n := gopFragment(size)
			for _, mode := range []string{"gather", "pass"} {
				b.Run(fmt.Sprintf("%s/frame=%dK/%s", sink.name, size>>10, mode), func(b *testing.B) {
					dst := sink.open(b)
					w := NewWriter(dst)
					if mode == "gather" {
						w.below = 1 << 30
					} else {
						w.below = size / 2 // video passes, audio is gathered
					}
					b.SetBytes(n)
					b.ReportAllocs()
					var written int64
					for b.Loop() {
						if err := w.WriteVector(f.head, f.payloads); err != nil {
							b.Fatal(err)
						}
						written += int64(len(f.head)) + n
						rewind(b, dst, &written)
					}
				})
			}
		}
	}
}

// gopFragment is a 2 s fragment of 30 fps video frames of about frame
// bytes and of 48 kHz AAC, as mp4 hands it on, and its payload bytes.
func gopFragment(frame int) (*fragment, int64) {
	f := &fragment{head: make([]byte, 1400)}
	var n int64
	for i := range 60 {
		size := frame + (i*7919)%(frame/4+1) - frame/8
		f.payloads = append(f.payloads, make([]byte, size))
		n += int64(size)
	}
	for i := range 94 {
		size := 330 + i%80
		f.payloads = append(f.payloads, make([]byte, size))
		n += int64(size)
	}
	return f, n
}

// rewind starts a file sink over at offset 0 every 64 MiB, so the benchmark
// measures writes into the page cache without filling the disk or waiting
// for the writeback of gigabytes.
func rewind(b *testing.B, dst io.Writer, written *int64) {
	fh, ok := dst.(*os.File)
	if !ok || *written < 64<<20 {
		return
	}
	*written = 0
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
