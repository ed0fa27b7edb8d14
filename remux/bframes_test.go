package remux_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// timeTolerance is how far a frame's presentation time in any output, as
// any reader sees it, may be from its block time: block times are whole
// milliseconds, and audio laid end to end in samples may stray from them by
// up to half of one.
const timeTolerance = 1e6 // ns

// minFamily is how many members testdata/gen's B-frame family has: a
// glob that finds fewer means the family was not generated or committed.
const minFamily = 12

// familyFiles lists the B-frame family (testdata/bframes, made by
// testdata/gen) and the other committed fixtures.
func familyFiles(t *testing.T) []string {
	family, err := filepath.Glob(filepath.Join("..", "testdata", "bframes", "*.getmedia.mkv"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(family), minFamily, "run make testdata")
	others, err := filepath.Glob(filepath.Join("..", "testdata", "*.getmedia.mkv"))
	require.NoError(t, err)
	return append(family, others...)
}

// outputPath is one way a clip is made: it returns the MP4 of data.
type outputPath struct {
	name string
	clip func(t *testing.T, data []byte) []byte
}

// planned is the clip remux.Plan makes of data's indexes, as GetClip does.
func planned(format remux.Format) func(t *testing.T, data []byte) []byte {
	return func(t *testing.T, data []byte) []byte {
		idx, docs, ok := indexesOf(t, data)
		require.True(t, ok)
		pc, err := remux.Plan(context.Background(), idx, docs, &remux.PlanOptions{Format: format})
		require.NoError(t, err)
		return mustWrite(t, pc, docs)
	}
}

// clipped is the clip remux.Clip makes of data with opts.
func clipped(opts remux.ClipOptions) func(t *testing.T, data []byte) []byte {
	return func(t *testing.T, data []byte) []byte {
		var out bytes.Buffer
		_, err := remux.Clip(&out, bytes.NewReader(data), &opts)
		require.NoError(t, err)
		return out.Bytes()
	}
}

// outputPaths are every way a clip is written.
var outputPaths = []outputPath{
	{"fmp4-planned", clipped(remux.ClipOptions{Planned: true})},
	{"fmp4-one-pass", func(t *testing.T, data []byte) []byte { return clipOnePass(t, data, 64, nil) }},
	{"fmp4-streamed", func(t *testing.T, data []byte) []byte {
		// Only an io.Reader: the clip streams, with no index.
		var out bytes.Buffer
		_, err := remux.Clip(&out, struct{ io.Reader }{bytes.NewReader(data)}, nil)
		require.NoError(t, err)
		return out.Bytes()
	}},
	{"mp4", clipped(remux.ClipOptions{Format: remux.FormatMP4})},
	{"plan-fmp4", planned(remux.FormatFMP4)},
	{"plan-mp4", planned(remux.FormatMP4)},
}

// TestPresentationTimes clips every member of the B-frame family and every
// fixture along every output path, and holds each frame's presentation
// time, as libavformat demuxes it, as its decoders output it and as mp4ff
// reads the boxes, to the input's block time. Every output decodes with
// ffmpeg -xerror without a message.
func TestPresentationTimes(t *testing.T) {
	mediatest.Need(t, "ffmpeg", "ffprobe")
	for _, file := range familyFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".getmedia.mkv")
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		want := expectedTimes(t, data)
		for _, p := range outputPaths {
			t.Run(name+"/"+p.name, func(t *testing.T) {
				// Most of the time is ffmpeg's and ffprobe's; data and
				// want are only read.
				t.Parallel()
				out := p.clip(t, data)
				path := filepath.Join(t.TempDir(), "out.mp4")
				require.NoError(t, os.WriteFile(path, out, 0o644))
				msg, ok := mediatest.Decode(t, path)
				require.True(t, ok, msg)
				assert.Empty(t, msg, "ffmpeg printed messages")
				for _, what := range []string{"packet", "frame"} {
					compareTimes(t, "ffprobe "+what, want, secondsToNs(mediatest.PresentationTimes(t, path, what)))
				}
				compareTimes(t, "mp4ff", want, mp4ffTimes(t, out))
			})
		}
	}
}

// expectedTimes lists each input track's block times on the clip's time
// line, in ns, sorted: output stream i is input track i+1 (video first).
func expectedTimes(t *testing.T, data []byte) map[int][]int64 {
	out := map[int][]int64{}
	for track, samples := range expectSamples(t, data) {
		for _, s := range samples {
			out[int(track)-1] = append(out[int(track)-1], s.ptsNs)
		}
		slices.Sort(out[int(track)-1])
	}
	return out
}

func secondsToNs(in map[int][]float64) map[int][]int64 {
	out := map[int][]int64{}
	for k, v := range in {
		for _, s := range v {
			out[k] = append(out[k], int64(s*1e9+0.5))
		}
	}
	return out
}

// compareTimes holds got, per stream, to want: as many frames, and
// in presentation order each within timeTolerance.
func compareTimes(t *testing.T, reader string, want, got map[int][]int64) {
	t.Helper()
	require.Len(t, got, len(want), "%s: streams", reader)
	for stream, exp := range want {
		g := slices.Clone(got[stream])
		slices.Sort(g)
		require.Len(t, g, len(exp), "%s: stream %d frames", reader, stream)
		bad := 0
		for i := range exp {
			if d := g[i] - exp[i]; d > timeTolerance || d < -timeTolerance {
				if bad++; bad <= 3 {
					t.Errorf("%s: stream %d frame %d presented at %.6f s, input %.6f s", reader, stream, i, float64(g[i])/1e9, float64(exp[i])/1e9)
				}
			}
		}
		assert.Zero(t, bad, "%s: stream %d frames presented away from their input time", reader, stream)
	}
}

// mp4ffTimes reads every sample's presentation time with mp4ff, in ns on the
// movie's time line: decode time plus composition offset, moved by the
// track's edit list (an empty edit delays, a media edit's start is time 0).
func mp4ffTimes(t *testing.T, data []byte) map[int][]int64 {
	f, err := mp4ff.DecodeFile(bytes.NewReader(data))
	require.NoError(t, err)
	moov := f.Moov
	if f.IsFragmented() {
		moov = f.Init.Moov
	}
	movieScale := int64(moov.Mvhd.Timescale)
	shift := map[uint32]int64{} // per track ID, track units
	scale := map[uint32]int64{}
	stream := map[uint32]int{}
	for _, trak := range moov.Traks {
		id := trak.Tkhd.TrackID
		ts := int64(trak.Mdia.Mdhd.Timescale)
		// Track IDs follow the input's tracks, also when a progressive
		// file leaves out one without samples.
		scale[id], stream[id] = ts, int(id)-1
		if trak.Edts == nil {
			continue
		}
		for _, e := range trak.Edts.Elst[0].Entries {
			if e.MediaTime < 0 {
				shift[id] += int64(e.SegmentDuration) * ts / movieScale
				continue
			}
			shift[id] -= e.MediaTime
			break
		}
	}
	out := map[int][]int64{}
	add := func(id uint32, pts int64) {
		out[stream[id]] = append(out[stream[id]], (pts+shift[id])*1e9/scale[id])
	}
	if !f.IsFragmented() {
		for _, trak := range moov.Traks {
			stbl := trak.Mdia.Minf.Stbl
			for nr := uint32(1); nr <= stbl.Stsz.SampleNumber; nr++ {
				dts, _ := stbl.Stts.GetDecodeTime(nr)
				pts := int64(dts)
				if stbl.Ctts != nil {
					pts += int64(stbl.Ctts.GetCompositionTimeOffset(nr))
				}
				add(trak.Tkhd.TrackID, pts)
			}
		}
		return out
	}
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			for _, traf := range frag.Moof.Trafs {
				trex, ok := f.Init.Moov.Mvex.GetTrex(traf.Tfhd.TrackID)
				require.True(t, ok)
				full, err := frag.GetFullSamples(trex)
				require.NoError(t, err)
				for _, s := range full {
					add(traf.Tfhd.TrackID, int64(s.DecodeTime)+int64(s.CompositionTimeOffset))
				}
			}
		}
	}
	return out
}

// withoutFrames writes frags again as a GetMedia dump without every
// every-th video frame that is not a key frame: a recording that lost
// frames, B-frames and the references of others among them.
func withoutFrames(t *testing.T, frags []*mkv.Fragment, every int) []byte {
	var out bytes.Buffer
	w := mkv.NewWriter(&out, nil)
	n := 0
	for _, f := range frags {
		g := *f
		g.Blocks = nil
		for _, b := range f.Blocks {
			if f.Header.Track(b.Track).Type == mkv.TrackTypeVideo && !b.Keyframe {
				if n++; n%every == 0 {
					continue
				}
			}
			g.Blocks = append(g.Blocks, b)
		}
		require.NoError(t, w.WriteFragment(&g))
	}
	require.NoError(t, w.Close())
	return out.Bytes()
}

// cutPoints is how many places TestCutShortTimes cuts each input at.
const cutPoints = 9

// TestCutShortTimes clips inputs cut short at cutPoints places, and
// damaged ones that lost frames (withoutFrames), as
// streamed fMP4 and progressive MP4: each clip succeeds, and every frame it
// keeps is presented at that frame's time in the whole input (mp4ff reads
// the times; the clips stay in memory).
func TestCutShortTimes(t *testing.T) {
	for _, name := range []string{"x264-normal-bf3-30fps-alaw-changing", "hevc-open-pyramid-bf4-25fps", "x264-normal-bf2-25fps-audio-first"} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "bframes", name+".getmedia.mkv"))
		require.NoError(t, err)
		want := expectedTimes(t, data)
		frags := cloneFragments(t, data)
		type input struct {
			name string
			data []byte
		}
		var inputs []input
		for k := 1; k <= cutPoints; k++ {
			cut := len(data) * k / (cutPoints + 1)
			inputs = append(inputs, input{fmt.Sprintf("cut-%d", cut), data[:cut]})
		}
		for _, every := range []int{3, 7} {
			inputs = append(inputs, input{fmt.Sprintf("lost-every-%d", every), withoutFrames(t, frags, every)})
		}
		for _, in := range inputs {
			for _, opts := range []remux.ClipOptions{{}, {Format: remux.FormatMP4}} {
				t.Run(fmt.Sprintf("%s/%s/format-%d", name, in.name, opts.Format), func(t *testing.T) {
					var out bytes.Buffer
					man, err := remux.Clip(&out, struct{ io.Reader }{bytes.NewReader(in.data)}, &opts)
					require.NoError(t, err)
					got := mp4ffTimes(t, out.Bytes())
					for stream, times := range got {
						exp := want[stream]
						for k, ns := range times {
							i, _ := slices.BinarySearch(exp, ns-timeTolerance)
							ok := i < len(exp) && exp[i] <= ns+timeTolerance
							assert.True(t, ok, "stream %d sample %d at %.6f s is no input frame's time", stream, k, float64(ns)/1e9)
						}
						assert.LessOrEqual(t, len(times), len(exp))
						assert.Equal(t, man.Tracks[stream].Samples, len(times))
					}
				})
			}
		}
	}
}
