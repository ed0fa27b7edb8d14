package mkv_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mkv"
)

// synthStream is a producer stream of secs seconds: 25 fps video (a key
// frame every gop frames; none when gop is 0, and no video track at all
// when gop is negative) and, with audio, a 20 ms audio frame per video
// frame, the frames in Clusters of perCluster frames each, as ffmpeg cuts
// them on a pipe.
func synthStream(t testing.TB, secs, gop, perCluster int, audio bool) (stream []byte, frames []mkv.Block) {
	t.Helper()
	h := tinyHeader()
	switch {
	case gop < 0:
		h.Tracks = h.Tracks[1:]
	case !audio:
		h.Tracks = h.Tracks[:1]
	}
	for i := range secs * 25 {
		ms := int64(i * 40)
		if gop >= 0 {
			frames = append(frames, mkv.Block{Track: 1, Time: ms, Keyframe: gop > 0 && i%gop == 0,
				Data: []byte{0, 0, 0, 3, 0x65, byte(i), byte(i >> 8)}})
		}
		if audio {
			frames = append(frames, mkv.Block{Track: 2, Time: ms + 20, Keyframe: true, Data: []byte{0x21, byte(i), byte(i >> 8)}})
		}
	}
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer})
	for i := 0; i < len(frames); i += perCluster {
		part := frames[i:min(i+perCluster, len(frames))]
		require.NoError(t, w.WriteFragment(&mkv.Fragment{Header: h, Timecode: part[0].Time, Blocks: part}))
	}
	require.NoError(t, w.Close())
	return buf.Bytes(), frames
}

// readAll reads every fragment of b, each cloned.
func readAll(t testing.TB, b []byte) []*mkv.Fragment {
	t.Helper()
	r := mkv.NewBytesReader(b)
	var out []*mkv.Fragment
	for {
		f, err := r.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, f.Clone())
	}
}

// TestRefragment: whatever the input's Clusters, the output has one
// fragment per target duration, each starting on a video key frame (or by
// duration without video), cut anyway before KVS's limits, with every
// frame in order, unchanged.
func TestRefragment(t *testing.T) {
	for _, c := range []struct {
		name                  string
		secs, gop, perCluster int
		audio                 bool
		target                time.Duration
		wantSpans             []int64 // ms from each fragment's start to the next's
	}{
		{"small clusters, 1 s GOP", 7, 25, 3, true, 0, []int64{2000, 2000, 2000, 1000}},
		{"one big cluster", 7, 25, 1000, true, 0, []int64{2000, 2000, 2000, 1000}},
		{"GOP of 1.2 s", 7, 30, 5, false, 0, []int64{2400, 2400, 2200}},
		{"3 s target", 7, 25, 4, true, 3 * time.Second, []int64{3000, 3000, 1000}},
		{"audio only", 5, -1, 7, true, 0, []int64{2000, 2000, 980}},
		{"no key frame for 20 s", 20, 0, 10, false, 0, []int64{9000, 9000, 2000}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, frames := synthStream(t, c.secs, c.gop, c.perCluster, c.audio)
			var out bytes.Buffer
			n, err := mkv.Refragment(&out, bytes.NewReader(in), &mkv.RefragmentOptions{Duration: c.target})
			require.NoError(t, err)
			got := readAll(t, out.Bytes())
			require.Len(t, got, n)
			var spans []int64
			var all []mkv.Block
			for i, f := range got {
				assert.Equal(t, f.Blocks[0].Time, f.Timecode, "fragment %d: the Cluster timecode is its first frame's", i)
				if i > 0 {
					spans = append(spans, f.Timecode-got[i-1].Timecode)
				}
				if c.gop > 0 {
					for _, b := range f.Blocks {
						if b.Track == 1 {
							assert.True(t, b.Keyframe, "fragment %d starts on a key frame", i)
							break
						}
					}
				}
				all = append(all, f.Blocks...)
			}
			last := got[len(got)-1]
			spans = append(spans, int64(c.secs*1000)-last.Timecode)
			assert.Equal(t, c.wantSpans, spans)
			require.Len(t, all, len(frames))
			for i := range frames {
				assert.Equal(t, frames[i].Track, all[i].Track, "frame %d", i)
				assert.Equal(t, frames[i].Time, all[i].Time, "frame %d", i)
				assert.Equal(t, frames[i].Keyframe, all[i].Keyframe, "frame %d", i)
				assert.Equal(t, frames[i].Data, all[i].Data, "frame %d", i)
			}
		})
	}
}

// TestRefragmentBadInput: input that is not Matroska, or breaks off,
// ends Refragment with the Reader's typed error, the frames before the
// break written first; a target KVS would refuse is refused.
func TestRefragmentBadInput(t *testing.T) {
	in, _ := synthStream(t, 4, 25, 5, false)

	var out bytes.Buffer
	_, err := mkv.Refragment(&out, bytes.NewReader([]byte("not a video at all\n")), nil)
	var me *mkv.Error
	require.ErrorAs(t, err, &me)
	assert.ErrorIs(t, err, mkv.ErrNotMatroska)
	assert.Zero(t, out.Len())

	// Half the stream, then a broken Cluster: what came before is
	// written.
	offs := clusterOffsets(t, in)
	bad := append(bytes.Clone(in[:offs[len(offs)/2]]), 0x1F, 0x43, 0xB6, 0x75, 0x81, 0xE7, 0xFF)
	out.Reset()
	n, err := mkv.Refragment(&out, bytes.NewReader(bad), nil)
	require.Error(t, err)
	require.ErrorAs(t, err, &me)
	assert.Positive(t, n)
	assert.NotEmpty(t, readAll(t, out.Bytes()), "the frames before the bad bytes")

	for _, d := range []time.Duration{-time.Second, 10 * time.Second} {
		_, err = mkv.Refragment(io.Discard, bytes.NewReader(in), &mkv.RefragmentOptions{Duration: d})
		assert.ErrorIs(t, err, mkv.ErrFragmentDuration, "%v", d)
	}

	// A second document with other tracks cannot join the Segment.
	other := tinyHeader()
	other.Tracks[0].PixelWidth = 640
	var doc bytes.Buffer
	w := mkv.NewWriter(&doc, nil)
	f := tinyFragment(other)
	f.Timecode = 5000
	for i := range f.Blocks {
		f.Blocks[i].Time += 4000
	}
	require.NoError(t, w.WriteFragment(f))
	_, err = mkv.Refragment(io.Discard, io.MultiReader(bytes.NewReader(in), &doc), nil)
	assert.True(t, errors.Is(err, mkv.ErrHeaderChanged), "%v", err)
}

// TestRefragmentStreams: a fragment is written as soon as the key frame
// that ends it is read, while the input still arrives.
func TestRefragmentStreams(t *testing.T) {
	in, _ := synthStream(t, 5, 25, 2, false)
	pr, pw := io.Pipe()
	out := &notifyWriter{wrote: make(chan int, 10)}
	done := make(chan error, 1)
	go func() {
		_, err := mkv.Refragment(out, pr, nil)
		done <- err
	}()
	// Up to the Cluster holding the key frame at 2 s (frames 50 and 51).
	cut := clusterOffsets(t, in)[25]
	go pw.Write(in[:cut+200])
	select {
	case <-out.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("the first fragment was not written before the input ended")
	}
	go func() { pw.Write(in[cut+200:]); pw.Close() }()
	require.NoError(t, <-done)
}

type notifyWriter struct{ wrote chan int }

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.wrote <- len(p)
	return len(p), nil
}

// clusterOffsets returns the input offset of every fragment of b.
func clusterOffsets(t testing.TB, b []byte) []int {
	var offs []int
	for _, f := range readAll(t, b) {
		offs = append(offs, int(f.Offset))
	}
	return offs
}

// BenchmarkRefragment regroups a 60 s stream of 1-frame Clusters (25 fps
// video and audio) into 2 s fragments.
func BenchmarkRefragment(b *testing.B) {
	in, _ := synthStream(b, 60, 25, 1, true)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := mkv.Refragment(io.Discard, bytes.NewReader(in), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRefragment: whatever the input, Refragment ends without panicking,
// and what it wrote reads back as fragments holding the frames a Reader
// finds in the input, in order.
func FuzzRefragment(f *testing.F) {
	for _, c := range [][4]int{{3, 25, 3, 1}, {2, 0, 10, 0}, {3, -1, 4, 1}} {
		in, _ := synthStream(f, c[0], c[1], c[2], c[3] == 1)
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		n, err := mkv.Refragment(&out, bytes.NewReader(in), nil)
		r := mkv.NewBytesReader(out.Bytes())
		var got []mkv.Block
		for range n {
			fr, rerr := r.Next()
			require.NoError(t, rerr)
			got = append(got, fr.Clone().Blocks...)
		}
		_, rerr := r.Next()
		require.Equal(t, io.EOF, rerr)
		if err != nil {
			return
		}
		var want []mkv.Block
		ir := mkv.NewBytesReader(in)
		for {
			fr, ierr := ir.Next()
			if ierr != nil {
				break
			}
			want = append(want, fr.Blocks...)
		}
		require.Len(t, got, len(want))
		for i := range want {
			require.Equal(t, want[i].Data, got[i].Data)
			require.Equal(t, want[i].Time, got[i].Time)
		}
	})
}
