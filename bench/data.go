// Package bench measures kvsclip's hot path against the limits of the
// machine and against ffmpeg: Go benchmarks of mkv scanning, moof writing
// and end-to-end remux (bench_test.go), the allocation budgets
// (alloc_test.go), and the helpers that make inputs for them and for
// the comparison program in bench/cmd/compare.
//
// Benchmarks that need the 60+ MB recording of `make bench-data`
// (DefaultInput) skip without it; the others run on synthetic input made
// in memory, so `make test` can run every benchmark once in CI.
package bench

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"

	"github.com/kvsclip/kvsclip/mkv"
)

// DefaultInput is where `make bench-data` puts the benchmark recording,
// relative to the module root: a 1080p H.264+AAC producer-style MKV of
// 2 s Clusters, made by ffmpeg (see cmd/compare -make-data).
const DefaultInput = "bench/data/input.mkv"

// InputPath returns the benchmark recording's path: $KVSCLIP_BENCH_INPUT,
// else DefaultInput under the module root found from this source file.
func InputPath() string {
	if p := os.Getenv("KVSCLIP_BENCH_INPUT"); p != "" {
		return p
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return DefaultInput
	}
	return filepath.Join(filepath.Dir(file), "..", DefaultInput)
}

// Synth describes a synthetic producer recording: fragments of a 2 s GOP of
// 30 fps video and 48 kHz AAC, with frame sizes drawn around the given
// means (±25%, a fixed seed, so every run writes the same bytes). The
// defaults are those of 1080p at about 8 Mbit/s, like the ffmpeg-made
// recording of `make bench-data`.
type Synth struct {
	Fragments int // default 5
	FPS       int // video frames a second, default 30 (a GOP is 2 s)
	KeyFrame  int // mean key frame size, default 80,000 bytes
	Frame     int // mean other video frame size, default 33,000 bytes
	Audio     int // mean AAC frame size, default 370 bytes
}

func (s *Synth) defaults() {
	if s.Fragments == 0 {
		s.Fragments = 5
	}
	if s.FPS == 0 {
		s.FPS = 30
	}
	if s.KeyFrame == 0 {
		s.KeyFrame = 80_000
	}
	if s.Frame == 0 {
		s.Frame = 33_000
	}
	if s.Audio == 0 {
		s.Audio = 370
	}
}

// Synthetic returns a producer-layout MKV (one Segment, a Cluster per
// fragment) whose tracks are h's: its first video track gets H.264 frames
// of one length-prefixed NAL unit (IDR first), its first audio track AAC
// frames of filler bytes. The remux never decodes a frame, so only the
// framing has to be right; h must carry a usable avcC and
// AudioSpecificConfig, as a header read from a real recording does.
func Synthetic(h *mkv.Header, s Synth) ([]byte, error) {
	s.defaults()
	// The header's frame duration must match the frame rate, or the remux
	// would take every fragment boundary for a gap.
	h = &mkv.Header{TimecodeScale: h.TimecodeScale, MuxingApp: h.MuxingApp, WritingApp: h.WritingApp,
		Tracks: append([]mkv.Track(nil), h.Tracks...)}
	var video, audio uint64
	for i, t := range h.Tracks {
		if t.Type == mkv.TrackTypeVideo {
			h.Tracks[i].DefaultDuration = uint64(1e9 / s.FPS)
		}
		switch {
		case t.Type == mkv.TrackTypeVideo && video == 0:
			video = t.Number
		case t.Type == mkv.TrackTypeAudio && audio == 0:
			audio = t.Number
		}
	}
	if video == 0 {
		return nil, errors.New("bench: header has no video track")
	}
	// The frames are drawn once and shared by every fragment: only their
	// sizes matter, and memory stays at one GOP.
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(mean int) int { return mean*3/4 + rng.IntN(mean/2+1) }
	fps := s.FPS
	gop := 2 * fps
	var frames [][]byte
	for i := range gop {
		n := draw(s.Frame)
		t := byte(0x41)
		if i == 0 {
			n, t = draw(s.KeyFrame), 0x65
		}
		b := make([]byte, n)
		b[0], b[1], b[2], b[3], b[4] = byte((n-4)>>24), byte((n-4)>>16), byte((n-4)>>8), byte(n-4), t
		frames = append(frames, b)
	}
	// 2 s of 1024-sample frames at 48 kHz.
	const audioFrames = 2 * 48000 / 1024
	var aac [][]byte
	for range audioFrames {
		aac = append(aac, make([]byte, draw(s.Audio)))
	}

	var out sliceWriter
	w := mkv.NewWriter(&out, &mkv.WriterOptions{Layout: mkv.LayoutProducer})
	f := &mkv.Fragment{Header: h}
	for k := range s.Fragments {
		f.Timecode = int64(k) * 2000 * 1e6 / int64(h.TimecodeScale)
		f.Blocks = f.Blocks[:0]
		a := 0
		for i, fr := range frames {
			ms := int64(i) * 1000 / int64(fps)
			for audio != 0 && a < audioFrames && int64(a)*1024*1000/48000 <= ms {
				f.Blocks = append(f.Blocks, mkv.Block{Track: audio, Time: f.Timecode + msToTC(h, int64(a)*1024*1000/48000), Keyframe: true, Data: aac[a]})
				a++
			}
			f.Blocks = append(f.Blocks, mkv.Block{Track: video, Time: f.Timecode + msToTC(h, ms), Keyframe: i == 0, Data: fr})
		}
		for ; audio != 0 && a < audioFrames; a++ {
			f.Blocks = append(f.Blocks, mkv.Block{Track: audio, Time: f.Timecode + msToTC(h, int64(a)*1024*1000/48000), Keyframe: true, Data: aac[a]})
		}
		if err := w.WriteFragment(f); err != nil {
			return nil, err
		}
	}
	return out.b, w.Close()
}

func msToTC(h *mkv.Header, ms int64) int64 { return ms * 1e6 / int64(h.TimecodeScale) }

type sliceWriter struct{ b []byte }

func (s *sliceWriter) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// FirstHeader returns the header of the first fragment of an MKV.
func FirstHeader(data []byte) (*mkv.Header, error) {
	f, err := mkv.NewBytesReader(data).Next()
	if err != nil {
		return nil, err
	}
	return f.Header, nil
}

// Repeat writes the fragments of src to w again and again, as one
// producer-layout stream with timecodes that keep increasing, until at
// least total bytes are written; it returns the bytes written. It makes an
// input of any length from a short recording without holding it: memory is
// src and one fragment's block list.
func Repeat(w io.Writer, src []byte, total int64) (int64, error) {
	cw := &countWriter{w: w}
	mw := mkv.NewWriter(cw, &mkv.WriterOptions{Layout: mkv.LayoutProducer})
	var shift int64 // timecode units added in this pass
	var blocks []mkv.Block
	for cw.n < total {
		r := mkv.NewBytesReader(src)
		var end int64
		n := 0
		for cw.n < total {
			f, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return cw.n, err
			}
			g := mkv.Fragment{Header: f.Header, Timecode: f.Timecode + shift}
			blocks = append(blocks[:0], f.Blocks...)
			for i := range blocks {
				blocks[i].Time += shift
				end = max(end, blocks[i].Time+1)
			}
			g.Blocks = blocks
			if err := mw.WriteFragment(&g); err != nil {
				return cw.n, err
			}
			n++
		}
		if n == 0 {
			return cw.n, fmt.Errorf("bench: no fragments to repeat")
		}
		// The next pass starts one 30 fps frame after this one's last
		// block, so the timeline goes on without a gap.
		shift = end + 33*1e6/int64(firstScale(src))
	}
	return cw.n, mw.Close()
}

func firstScale(src []byte) uint64 {
	if h, err := FirstHeader(src); err == nil && h.TimecodeScale > 0 {
		return h.TimecodeScale
	}
	return 1e6
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
