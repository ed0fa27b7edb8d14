package mp4

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
	"unsafe"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"
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

func TestLargePayloadsPassThrough(t *testing.T) {
	key := payload(0xA1, UnvectoredGatherThreshold)     // passed through
	small := payload(0xA2, UnvectoredGatherThreshold-1) // copied
	f := &Fragment{Tracks: []TrackRun{
		{TrackID: 1, Samples: []Sample{
			{Data: key, Duration: 3600, Sync: true},
			{Data: small, Duration: 3600},
		}},
		{TrackID: 2, Samples: []Sample{{Data: payload(0xB1, 10), Duration: 1024, Sync: true}}},
	}}
	var rec recorder
	w, err := NewWriter(&rec, syntheticTracks())
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	require.NoError(t, w.WriteFragment(f))
	// The large payload is the caller's memory, so it has been written
	// before WriteFragment returned; what followed it waits.
	var passed bool
	for _, c := range rec.calls {
		if len(c) > 0 && unsafe.SliceData(c) == unsafe.SliceData(key) {
			passed = true
		}
	}
	assert.True(t, passed, "the large payload was copied")
	// Reusing the caller's buffers after WriteFragment must not matter.
	key[1], small[1] = 0, 0
	n := rec.all.Len()
	require.NoError(t, w.Flush())
	assert.Equal(t, n, rec.all.Len(), "nothing should be pending after a pass-through fragment")
	assert.Equal(t, w.BytesWritten(), int64(rec.all.Len()))

	file, err := mp4ff.DecodeFile(bytes.NewReader(rec.all.Bytes()))
	require.NoError(t, err)
	frag := file.Segments[0].Fragments[0]
	trex, _ := file.Init.Moov.Mvex.GetTrex(1)
	full, err := frag.GetFullSamples(trex)
	require.NoError(t, err)
	assert.Equal(t, payload(0xA1, UnvectoredGatherThreshold), full[0].Data)
	assert.Equal(t, payload(0xA2, UnvectoredGatherThreshold-1), full[1].Data)
}

func TestGatherBufferOverflow(t *testing.T) {
	// 3 MiB of 16 KiB frames in one fragment: the gather buffer fills
	// and is written several times within WriteFragment.
	var samples []Sample
	for i := range 192 {
		samples = append(samples, Sample{Data: payload(byte(i), 16<<10), Duration: 3600, Sync: i == 0})
	}
	f := &Fragment{Tracks: []TrackRun{{TrackID: 1, Samples: samples}}}
	var rec recorder
	w, err := NewWriter(&rec, syntheticTracks())
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	require.NoError(t, w.WriteFragment(f))
	require.NoError(t, w.Flush())
	require.GreaterOrEqual(t, len(rec.calls), 3)
	for _, c := range rec.calls {
		assert.LessOrEqual(t, len(c), gatherBufferSize)
	}
	file, err := mp4ff.DecodeFile(bytes.NewReader(rec.all.Bytes()))
	require.NoError(t, err)
	trex, _ := file.Init.Moov.Mvex.GetTrex(1)
	full, err := file.Segments[0].Fragments[0].GetFullSamples(trex)
	require.NoError(t, err)
	require.Len(t, full, len(samples))
	for i := range full {
		require.Equal(t, samples[i].Data, full[i].Data, "sample %d", i)
	}
}

func TestFlushWithNothingPending(t *testing.T) {
	var rec recorder
	w, err := NewWriter(&rec, syntheticTracks())
	require.NoError(t, err)
	require.NoError(t, w.Flush())
	require.NoError(t, w.WriteInit())
	require.NoError(t, w.Flush())
	require.NoError(t, w.Flush())
	assert.Len(t, rec.calls, 1)
}

// benchFragment is one KVS-like GOP: 45 video frames, the first a 64 KiB
// key frame (passed through), the others 16 KB, and 70 AAC frames of about
// 400 bytes.
func benchFragment() (*Fragment, int64) {
	var f Fragment
	var n int64
	video := TrackRun{TrackID: 1}
	for i := range 45 {
		size := 16000
		if i == 0 {
			size = 64 << 10
		}
		video.Samples = append(video.Samples, Sample{Data: make([]byte, size), Duration: 3600, Sync: i == 0})
		n += int64(size)
	}
	audio := TrackRun{TrackID: 2}
	for i := range 70 {
		size := 380 + i%40
		audio.Samples = append(audio.Samples, Sample{Data: make([]byte, size), Duration: 1024, Sync: true})
		n += int64(size)
	}
	f.Tracks = []TrackRun{video, audio}
	return &f, n
}

func TestZeroAllocsPerFragment(t *testing.T) {
	f, _ := benchFragment()
	w, err := NewWriter(io.Discard, syntheticTracks())
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	var dts uint64
	write := func() {
		f.Tracks[0].BaseDecodeTime = dts
		dts += 45 * 3600
		if err := w.WriteFragment(f); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	write() // warm-up: gather buffer, plan and vector slices
	allocs := testing.AllocsPerRun(100, write)
	assert.Zero(t, allocs, "allocations per fragment")
}

// rewindingFile starts over at offset 0 every 64 MiB, so a benchmark
// measures writes into the page cache without filling the disk or waiting
// for writeback of gigabytes.
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

func BenchmarkWriteFragment(b *testing.B) {
	f, payloadBytes := benchFragment()
	sinks := []struct {
		name string
		open func(b *testing.B) io.Writer
	}{
		{"discard", func(*testing.B) io.Writer { return io.Discard }},
		{"file", func(b *testing.B) io.Writer {
			fh, err := os.Create(filepath.Join(b.TempDir(), "out.mp4"))
			require.NoError(b, err)
			b.Cleanup(func() { fh.Close() })
			return &rewindingFile{f: fh}
		}},
	}
	for _, sink := range sinks {
		for _, mode := range []struct {
			name   string
			gather int
		}{
			{"gather", UnvectoredGatherThreshold},
			{"passthrough-all", 0}, // every payload its own write: the baseline gathering beats
		} {
			b.Run(sink.name+"/"+mode.name, func(b *testing.B) {
				w, err := NewWriter(sink.open(b), syntheticTracks())
				require.NoError(b, err)
				w.gatherBelow = mode.gather
				require.NoError(b, w.WriteInit())
				b.SetBytes(payloadBytes)
				b.ReportAllocs()
				for b.Loop() {
					if err := w.WriteFragment(f); err != nil {
						b.Fatal(err)
					}
				}
				require.NoError(b, w.Flush())
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/115, "ns/sample")
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
// in order, as a bytes.Buffer gets them. A deadline passed ends the write
// with an error.
func TestVectoredConn(t *testing.T) {
	var samples []Sample
	for i := range 64 {
		samples = append(samples, Sample{Data: payload(byte(i), 3000+i*300), Duration: 3600, Sync: i == 0})
	}
	f := &Fragment{Tracks: []TrackRun{{TrackID: 1, Samples: samples}}}
	write := func(sink io.Writer) error {
		w, err := NewWriter(sink, syntheticTracks())
		require.NoError(t, err)
		if err := w.WriteInit(); err != nil {
			return err
		}
		for range 3 {
			if err := w.WriteFragment(f); err != nil {
				return err
			}
		}
		return w.Flush()
	}
	var want bytes.Buffer
	require.NoError(t, write(&want))

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
	assert.Equal(t, want.Bytes(), <-got)

	c2, _ := loopback(t)
	require.NoError(t, c2.SetWriteDeadline(time.Now().Add(-time.Second)))
	assert.ErrorIs(t, write(c2), os.ErrDeadlineExceeded)
}

// TestThresholdFor: vectored sinks get GatherThreshold, io.Discard
// everything passed, any other sink UnvectoredGatherThreshold.
func TestThresholdFor(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer f.Close()
	if vectoredFiles {
		assert.Equal(t, GatherThreshold, thresholdFor(f))
	} else {
		assert.Equal(t, UnvectoredGatherThreshold, thresholdFor(f))
	}
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	if runtime.GOOS == "linux" {
		// No descriptor to writev to: one Write per piece.
		assert.Equal(t, UnvectoredGatherThreshold, thresholdFor(client))
	} else {
		assert.Equal(t, GatherThreshold, thresholdFor(client))
	}
	tcp, _ := loopback(t)
	assert.Equal(t, GatherThreshold, thresholdFor(tcp))
	assert.Zero(t, thresholdFor(io.Discard))
	assert.Equal(t, UnvectoredGatherThreshold, thresholdFor(&bytes.Buffer{}))
}
