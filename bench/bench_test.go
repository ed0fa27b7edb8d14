package bench

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/mp4"
	"github.com/kvsclip/kvsclip/remux"
)

// fixture is a committed recording whose header (a real avcC and
// AudioSpecificConfig) the synthetic inputs borrow.
const fixture = "../testdata/h264-aac-160x120.getmedia.mkv"

var synthOnce = sync.OnceValues(func() ([]byte, error) {
	return synthetic(Synth{})
})

func synthetic(s Synth) ([]byte, error) {
	src, err := os.ReadFile(fixture)
	if err != nil {
		return nil, err
	}
	h, err := FirstHeader(src)
	if err != nil {
		return nil, err
	}
	return Synthetic(h, s)
}

// inputs are what the input-reading benchmarks run on: the synthetic
// recording always, the `make bench-data` recording when it is there
// (skipped otherwise, so CI needs no 60 MB file).
func inputs(b *testing.B) []struct {
	name string
	data []byte
} {
	syn, err := synthOnce()
	require.NoError(b, err)
	out := []struct {
		name string
		data []byte
	}{{"synthetic", syn}}
	if rec, err := os.ReadFile(InputPath()); err == nil {
		out = append(out, struct {
			name string
			data []byte
		}{"recording", rec})
	}
	return out
}

// BenchmarkScan reads every fragment of the input with the mkv reader, over
// bytes in memory (zero-copy) and over an io.Reader (streaming).
func BenchmarkScan(b *testing.B) {
	for _, in := range inputs(b) {
		for _, mode := range []string{"bytes", "stream"} {
			b.Run(in.name+"/"+mode, func(b *testing.B) {
				b.SetBytes(int64(len(in.data)))
				b.ReportAllocs()
				for b.Loop() {
					var r *mkv.Reader
					if mode == "bytes" {
						r = mkv.NewBytesReader(in.data)
					} else {
						r = mkv.NewReader(bytes.NewReader(in.data))
					}
					for {
						if _, err := r.Next(); err != nil {
							if err != io.EOF {
								b.Fatal(err)
							}
							break
						}
					}
				}
			})
		}
	}
}

// BenchmarkMoof writes one fragment shaped like the recording's (a 2 s GOP
// of 30 fps video and 94 AAC frames) again and again: the moof encoding and
// the gather/pass-through path, into a discarding writer.
func BenchmarkMoof(b *testing.B) {
	f, n := gopFragment(33_000, 80_000)
	w, err := mp4.NewWriter(io.Discard, benchTracks(b))
	require.NoError(b, err)
	require.NoError(b, w.WriteInit())
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteFragment(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemux is the engine end to end with the input in memory: mkv
// bytes reader, remux.Clipper and mp4.Writer, into io.Discard and into a
// file, and from a streaming reader; file-onepass is the layout kvsclip
// clip FILE -o OUT writes (indexed fMP4 in one pass, written behind).
// Bytes are input bytes.
func BenchmarkRemux(b *testing.B) {
	for _, in := range inputs(b) {
		for _, sink := range []string{"discard", "file", "file-onepass", "stream-discard"} {
			b.Run(in.name+"/"+sink, func(b *testing.B) {
				var dst io.Writer = io.Discard
				if strings.HasPrefix(sink, "file") {
					fh, err := os.Create(filepath.Join(b.TempDir(), "out.mp4"))
					require.NoError(b, err)
					b.Cleanup(func() { fh.Close() })
					dst = fh
				}
				b.SetBytes(int64(len(in.data)))
				b.ReportAllocs()
				for b.Loop() {
					if f, ok := dst.(*os.File); ok {
						// Start over, so the page cache holds one output.
						require.NoError(b, f.Truncate(0))
						_, err := f.Seek(0, io.SeekStart)
						require.NoError(b, err)
					}
					if sink == "file-onepass" {
						writeFileAll(b, dst.(*os.File), 1<<10, in.data)
						continue
					}
					var r *mkv.Reader
					if sink == "stream-discard" {
						r = mkv.NewReader(bytes.NewReader(in.data))
					} else {
						r = mkv.NewBytesReader(in.data)
					}
					c := remux.NewClipper(dst, nil)
					if err := c.AddAll(r); err != nil {
						b.Fatal(err)
					}
					if _, err := c.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// gopFragment is one 2 s fragment as the Clipper hands it to the mp4
// writer: 60 video samples of about frame bytes (a key frame of key bytes
// first) and 94 AAC samples of about 370 bytes. It returns the payload
// bytes.
func gopFragment(frame, key int) (*mp4.Fragment, int64) {
	var n int64
	video := mp4.TrackRun{TrackID: 1}
	for i := range 60 {
		size := frame + (i*7919)%(frame/4+1) - frame/8
		if i == 0 {
			size = key
		}
		video.Samples = append(video.Samples, mp4.Sample{Data: make([]byte, size), Duration: 3000, Sync: i == 0})
		n += int64(size)
	}
	audio := mp4.TrackRun{TrackID: 2}
	for i := range 94 {
		size := 330 + i%80
		audio.Samples = append(audio.Samples, mp4.Sample{Data: make([]byte, size), Duration: 1024, Sync: true})
		n += int64(size)
	}
	return &mp4.Fragment{Tracks: []mp4.TrackRun{video, audio}}, n
}

// benchTracks are the mp4 tracks of the fixture: H.264 video at 90 kHz and
// AAC at its sample rate.
func benchTracks(tb testing.TB) []mp4.Track {
	src, err := os.ReadFile(fixture)
	require.NoError(tb, err)
	h, err := FirstHeader(src)
	require.NoError(tb, err)
	var out []mp4.Track
	for _, mt := range h.Tracks {
		info, err := codec.ParseTrack(mt.CodecID, mt.CodecPrivate, codec.Hint{
			PixelWidth: mt.PixelWidth, PixelHeight: mt.PixelHeight,
			SamplingFrequency: mt.SamplingFrequency, Channels: mt.Channels,
		})
		require.NoError(tb, err)
		ts := uint32(90000)
		if info.Kind == codec.Audio {
			ts = info.SampleRate
		}
		out = append(out, mp4.Track{ID: uint32(len(out) + 1), Timescale: ts, Codec: info})
	}
	return out
}
