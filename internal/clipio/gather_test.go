package clipio

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder keeps every Write call's slice (as given) and a copy of the
// bytes.
type recorder struct {
	calls [][]byte
	all   bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.calls = append(r.calls, p)
	r.all.Write(p)
	return len(p), nil
}

// payload returns n bytes that name their piece, so a misplaced one shows.
func payload(tag byte, n int) []byte {
	b := bytes.Repeat([]byte{tag}, n)
	b[0] = 0
	return b
}

// fragment is what mp4 hands a Writer for one fragment: a header and the
// payloads.
type fragment struct {
	head     []byte
	payloads [][]byte
}

// bytes is the fragment as the sink must receive it.
func (f *fragment) bytes() []byte {
	b := append([]byte(nil), f.head...)
	for _, p := range f.payloads {
		b = append(b, p...)
	}
	return b
}

// mixedFragment has a header, large and small payloads, each tagged.
func mixedFragment(sizes ...int) *fragment {
	f := &fragment{head: payload(0xF0, 600)}
	for i, n := range sizes {
		f.payloads = append(f.payloads, payload(byte(i+1), n))
	}
	return f
}

func TestLargePayloadsPassThrough(t *testing.T) {
	f := mixedFragment(unvectoredGatherThreshold, unvectoredGatherThreshold-1, 10)
	want := f.bytes()
	var rec recorder
	w := NewWriter(&rec)
	require.NoError(t, w.WriteVector(f.head, f.payloads))
	// The large payload is the caller's memory, so it has been written
	// before WriteVector returned; the small ones were copied.
	var passed, copied bool
	for _, c := range rec.calls {
		passed = passed || unsafe.SliceData(c) == unsafe.SliceData(f.payloads[0])
		copied = copied || unsafe.SliceData(c) == unsafe.SliceData(f.payloads[1])
	}
	assert.True(t, passed, "the large payload was copied")
	assert.False(t, copied, "the small payload was passed")
	// Reusing the caller's buffers after WriteVector must not matter.
	f.head[1], f.payloads[0][1], f.payloads[1][1] = 0, 0, 0
	n := rec.all.Len()
	require.NoError(t, w.Flush())
	assert.Equal(t, n, rec.all.Len(), "nothing should be pending after WriteVector")
	assert.Equal(t, want, rec.all.Bytes())
}

func TestGatherBufferOverflow(t *testing.T) {
	// 3 MiB of 16 KiB pieces in one fragment: the gather buffer fills
	// and is written several times within WriteVector.
	sizes := make([]int, 192)
	for i := range sizes {
		sizes[i] = 16 << 10
	}
	f := mixedFragment(sizes...)
	var rec recorder
	w := NewWriter(&rec)
	require.NoError(t, w.WriteVector(f.head, f.payloads))
	require.NoError(t, w.Flush())
	require.GreaterOrEqual(t, len(rec.calls), 3)
	for _, c := range rec.calls {
		assert.LessOrEqual(t, len(c), gatherBufferSize)
	}
	assert.Equal(t, f.bytes(), rec.all.Bytes())
}

// TestWriteAndAdd: Write goes out at once, after what was added before;
// Add gathers until Flush; a Writer reset to another sink keeps working.
func TestWriteAndAdd(t *testing.T) {
	var rec recorder
	w := NewWriter(&rec)
	require.NoError(t, w.Flush())
	_, err := w.Write([]byte("init"))
	require.NoError(t, err)
	require.NoError(t, w.Add([]byte("moof")))
	big := payload(7, unvectoredGatherThreshold)
	require.NoError(t, w.Add(big))
	assert.Equal(t, "init", rec.all.String(), "added pieces wait for Flush")
	_, err = w.Write([]byte("next"))
	require.NoError(t, err)
	assert.Equal(t, "initmoof"+string(big)+"next", rec.all.String())

	var other bytes.Buffer
	w.Reset(&other)
	require.NoError(t, w.Add([]byte("again")))
	require.NoError(t, w.Flush())
	assert.Equal(t, "again", other.String())
}

// failWriter fails every write after ok bytes.
type failWriter struct {
	ok  int
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.ok {
		return 0, f.err
	}
	f.ok -= len(p)
	return len(p), nil
}

// TestErrorIsSticky: the sink's error, as it returned it, is every later
// call's.
func TestErrorIsSticky(t *testing.T) {
	sinkErr := io.ErrClosedPipe
	w := NewWriter(&failWriter{ok: 100, err: sinkErr})
	f := mixedFragment(10, unvectoredGatherThreshold)
	require.Equal(t, sinkErr, w.WriteVector(f.head, f.payloads))
	assert.Equal(t, sinkErr, w.Add([]byte("x")))
	assert.Equal(t, sinkErr, w.Flush())
	_, err := w.Write([]byte("x"))
	assert.Equal(t, sinkErr, err)
}

func TestZeroAllocsPerFragment(t *testing.T) {
	f, _ := gopFragment(16000)
	for _, sink := range []io.Writer{io.Discard, &bytes.Buffer{}, openFile(t)} {
		w := NewWriter(sink)
		write := func() {
			if b, ok := sink.(*bytes.Buffer); ok {
				b.Reset()
			}
			if err := w.WriteVector(f.head, f.payloads); err != nil {
				t.Fatal(err)
			}
		}
		write() // warm-up: gather buffer and vector slices
		assert.Zero(t, testing.AllocsPerRun(20, write), "allocations per fragment to %T", sink)
	}
}

// openFile creates a file sink in tb's temporary directory.
func openFile(tb testing.TB) *os.File {
	fh, err := os.Create(filepath.Join(tb.TempDir(), "out.mp4"))
	require.NoError(tb, err)
	tb.Cleanup(func() { fh.Close() })
	return fh
}

// rewindingFile starts over at offset 0 every 64 MiB, so a benchmark
// measures writes into the page cache without filling the disk or waiting
// for writeback of gigabytes. It hides the *os.File: one Write per piece.
type rewindingFile struct {
	f   *os.File
	off int64
}

func (r *rewindingFile) Write(p []byte) (int, error) {
	if r.off > 64<<20 {
		if _, err := r.f.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		r.off = 0
	}
	n, err := r.f.Write(p)
	r.off += int64(n)
	return n, err
}

func BenchmarkWriteVector(b *testing.B) {
	f, n := gopFragment(16000)
	sinks := []struct {
		name string
		open func(b *testing.B) io.Writer
	}{
		{"discard", func(*testing.B) io.Writer { return io.Discard }},
		{"file", func(b *testing.B) io.Writer { return &rewindingFile{f: openFile(b)} }},
	}
	for _, sink := range sinks {
		for _, mode := range []struct {
			name   string
			gather int
		}{
			{"gather", unvectoredGatherThreshold},
			{"passthrough-all", 0}, // every payload its own write: the baseline gathering beats
		} {
			b.Run(sink.name+"/"+mode.name, func(b *testing.B) {
				w := NewWriter(sink.open(b))
				w.below = mode.gather
				b.SetBytes(n)
				b.ReportAllocs()
				for b.Loop() {
					if err := w.WriteVector(f.head, f.payloads); err != nil {
						b.Fatal(err)
					}
				}
				require.NoError(b, w.Flush())
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(1+len(f.payloads)), "ns/piece")
			})
		}
	}
}

// loopback returns both ends of a loopback TCP connection.
func loopback(t *testing.T) (client, server net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	server = <-accepted
	require.NotNil(t, server)
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

// TestVectoredConn: a TCP connection is written with writev on its
// descriptor; with a small send buffer and a slow reader the writes are
// partial and wait for the socket (EAGAIN), and the bytes arrive whole and
// in order. A deadline passed ends the write with an error.
func TestVectoredConn(t *testing.T) {
	sizes := make([]int, 64)
	for i := range sizes {
		sizes[i] = 3000 + i*300
	}
	f := mixedFragment(sizes...)
	write := func(sink io.Writer) error {
		w := NewWriter(sink)
		for range 3 {
			if err := w.WriteVector(f.head, f.payloads); err != nil {
				return err
			}
		}
		return w.Flush()
	}
	want := bytes.Repeat(f.bytes(), 3)

	client, server := loopback(t)
	require.NoError(t, client.(*net.TCPConn).SetWriteBuffer(4096))
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for i := 0; ; i++ {
			n, err := server.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				got <- b.Bytes()
				return
			}
			if i%16 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	require.NoError(t, write(client))
	require.NoError(t, client.(*net.TCPConn).CloseWrite())
	assert.Equal(t, want, <-got)

	c2, _ := loopback(t)
	require.NoError(t, c2.SetWriteDeadline(time.Now().Add(-time.Second)))
	assert.ErrorIs(t, write(c2), os.ErrDeadlineExceeded)
}

// TestThresholdFor: vectored sinks get gatherThreshold, io.Discard
// everything passed, any other sink unvectoredGatherThreshold.
func TestThresholdFor(t *testing.T) {
	f := openFile(t)
	if vectoredFiles {
		assert.Equal(t, gatherThreshold, thresholdFor(f))
	} else {
		assert.Equal(t, unvectoredGatherThreshold, thresholdFor(f))
	}
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	if runtime.GOOS == "linux" {
		// No descriptor to writev to: one Write per piece.
		assert.Equal(t, unvectoredGatherThreshold, thresholdFor(client))
	} else {
		assert.Equal(t, gatherThreshold, thresholdFor(client))
	}
	tcp, _ := loopback(t)
	assert.Equal(t, gatherThreshold, thresholdFor(tcp))
	assert.Zero(t, thresholdFor(io.Discard))
	assert.Equal(t, unvectoredGatherThreshold, thresholdFor(&bytes.Buffer{}))
}

// buffersSink is a BuffersWriter that records its calls.
type buffersSink struct {
	bytes.Buffer
	calls  int
	pieces []int // lengths of the pieces of each call, in order
}

func (b *buffersSink) WriteBuffers(v [][]byte) (int64, error) {
	b.calls++
	var n int64
	for _, p := range v {
		b.pieces = append(b.pieces, len(p))
		k, _ := b.Buffer.Write(p)
		n += int64(k)
	}
	return n, nil
}

// TestBuffersWriter: a BuffersWriter sink gets the vectored threshold, and
// a flush of small and large pieces in one WriteBuffers call, the large
// ones by reference and the small ones gathered, in order.
func TestBuffersWriter(t *testing.T) {
	sink := &buffersSink{}
	assert.Equal(t, gatherThreshold, thresholdFor(sink))
	w := NewWriter(sink)
	small1, large, small2 := bytes.Repeat([]byte{1}, 100), bytes.Repeat([]byte{2}, gatherThreshold), bytes.Repeat([]byte{3}, 200)
	for _, p := range [][]byte{small1, large, small2} {
		require.NoError(t, w.Add(p))
	}
	require.NoError(t, w.Flush())
	assert.Equal(t, 1, sink.calls)
	assert.Equal(t, []int{100, gatherThreshold, 200}, sink.pieces)
	assert.Equal(t, slices.Concat(small1, large, small2), sink.Bytes())
}
