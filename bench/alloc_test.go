package bench

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/mp4"
	"github.com/kvsclip/kvsclip/remux"
)

// maxAllocsPerFragment is the allocation budget of one fragment through the
// whole engine once warmed up: its manifest entry (amortised growth of the
// manifest's slice) and nothing else on the way. Reader, Clipper and mp4
// Writer reuse every buffer; a per-sample allocation anywhere would add
// 60–150 per fragment of the synthetic input and fail this at once.
const maxAllocsPerFragment = 2

// TestEngineAllocsPerFragment holds the engine — reader, Clipper, mp4
// writer into io.Discard — to its budget per fragment, with the input as
// bytes and as a stream (checkAllocsPerFragment).
func TestEngineAllocsPerFragment(t *testing.T) {
	for _, mode := range []string{"bytes", "stream"} {
		checkAllocsPerFragment(t, mode, maxAllocsPerFragment, func(data []byte) {
			var r *mkv.Reader
			if mode == "bytes" {
				r = mkv.NewBytesReader(data)
			} else {
				r = mkv.NewReader(bytes.NewReader(data))
			}
			clipAll(t, remux.NewClipper(io.Discard, nil), r)
		})
	}
}

// maxPlannedAllocsPerFragment is the budget of a fragment of a planned
// clip written to a file in one pass (what kvsclip clip FILE -o OUT does):
// the fragment's index that the writer keeps for a possible second pass
// (the Index and its samples, 2), and the amortised growth of the manifest
// and of the writer's lists of indexes, documents, index entries and start
// times (2). Measured: 2.4.
const maxPlannedAllocsPerFragment = 4

// TestOnePassAllocsPerFragment: the same steady-state count for a planned
// fMP4 written to a file in one pass, behind (remux.FileWriter).
func TestOnePassAllocsPerFragment(t *testing.T) {
	f := openFileT(t).(*os.File)
	checkAllocsPerFragment(t, "one pass", maxPlannedAllocsPerFragment, func(data []byte) {
		require.NoError(t, f.Truncate(0))
		_, err := f.Seek(0, io.SeekStart)
		require.NoError(t, err)
		writeFileAll(t, f, 64, data)
	})
}

// writeFileAll writes the clip of every fragment of data into f in one
// pass, with room for room fragments.
func writeFileAll(t testing.TB, f remux.File, room int, data []byte) {
	w, err := remux.NewFileWriter(f, room, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddAll(data); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// checkAllocsPerFragment runs clip over synthetic recordings of 10 and 60
// video frames per second (20 and 120 frames per fragment, each with 94
// AAC frames) and counts allocations per fragment in steady state: a long
// input minus one half as long, so set-up costs (init segment, first
// buffers) cancel out. Both counts must be within budget and equal to each
// other — samples must cost nothing.
func checkAllocsPerFragment(t *testing.T, name string, budget int, clip func(data []byte)) {
	t.Helper()
	var perFragment []float64
	for _, fps := range []int{10, 60} {
		short, err := synthetic(Synth{Fragments: 20, FPS: fps, KeyFrame: 4000, Frame: 2000})
		require.NoError(t, err)
		long, err := synthetic(Synth{Fragments: 40, FPS: fps, KeyFrame: 4000, Frame: 2000})
		require.NoError(t, err)
		a := testing.AllocsPerRun(3, func() { clip(short) })
		b := testing.AllocsPerRun(3, func() { clip(long) })
		per := (b - a) / 20
		perFragment = append(perFragment, per)
		assert.LessOrEqual(t, per, float64(budget), "%s, %d fps: %.2f allocations per fragment", name, fps, per)
	}
	// The two rates differ by 100 samples per fragment; a rounding slack
	// of half an allocation tells amortised growth from a per-sample
	// cost.
	assert.InDelta(t, perFragment[0], perFragment[1], 0.5, "%s: allocations grow with samples per fragment: %v", name, perFragment)
	t.Logf("%s: allocations per fragment at 20 and 120 frames a fragment: %v", name, perFragment)
}

// maxPlanAllocsPerFragment is the budget of a fragment of a clip planned
// from indexes (remux.Plan), in steady state: the fragment the clipper
// times (1), and the amortised growth of the manifest, of the plan's lists
// of fragments, runs and sample records, and of the fMP4 index or the
// progressive sample tables. Measured: 1.45 (fMP4), 3 to 3.35
// (progressive).
const maxPlanAllocsPerFragment = 4

// TestPlannedAllocsPerFragment: planning a clip from indexes costs a few
// allocations per fragment and none per sample, and writing the planned
// clip to a file (one writev per fragment, payloads from the input in
// memory) costs none per fragment: the same count for 20 and 40
// fragments of 20 and 120 frames.
func TestPlannedAllocsPerFragment(t *testing.T) {
	f := openFileT(t).(*os.File)
	for _, format := range []remux.Format{remux.FormatFMP4, remux.FormatMP4} {
		var planPer, writes []float64
		for _, fps := range []int{10, 60} {
			var plans, write []float64
			for _, n := range []int{20, 40} {
				data, err := synthetic(Synth{Fragments: n, FPS: fps, KeyFrame: 4000, Frame: 2000})
				require.NoError(t, err)
				var idx []*fragindex.Index
				var docs remux.Documents
				r := mkv.NewBytesReader(data)
				for {
					fr, err := r.Next()
					if err == io.EOF {
						break
					}
					require.NoError(t, err)
					idx = append(idx, fragindex.FromFragment(fr, fr.Size))
					docs = append(docs, data[fr.Offset:fr.Offset+fr.Size])
				}
				opts := &remux.PlanOptions{Format: format}
				var src remux.Payloads = docs // once: a slice in an interface is an allocation
				var pc *remux.PlannedClip
				plans = append(plans, testing.AllocsPerRun(3, func() {
					if pc, err = remux.Plan(context.Background(), idx, docs, opts); err != nil {
						t.Fatal(err)
					}
				}))
				write = append(write, testing.AllocsPerRun(20, func() {
					if _, err := f.Seek(0, io.SeekStart); err != nil {
						t.Fatal(err)
					}
					if err := pc.WriteTo(context.Background(), f, src); err != nil {
						t.Fatal(err)
					}
				}))
			}
			planPer = append(planPer, (plans[1]-plans[0])/20)
			writes = append(writes, write...)
		}
		for _, per := range planPer {
			assert.LessOrEqual(t, per, float64(maxPlanAllocsPerFragment), "%s: planning, %v allocations per fragment", format, planPer)
		}
		assert.InDelta(t, planPer[0], planPer[1], 0.5, "%s: planning allocations grow with samples per fragment: %v", format, planPer)
		for _, w := range writes {
			assert.Zero(t, w, "%s: allocations of a write of 20 or 40 fragments: %v", format, writes)
		}
		t.Logf("%s: planning allocations per fragment at 20 and 120 frames a fragment: %v; allocations per write: %v", format, planPer, writes)
	}
}

// clipAll adds every fragment of r to c and closes it.
func clipAll(t *testing.T, c *remux.Clipper, r *mkv.Reader) {
	if err := c.AddAll(r); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMoofWriterAllocs: the mp4 writer encodes a 154-sample fragment and
// the engine's sink writes it to a file (the vectored path) without
// allocating.
func TestMoofWriterAllocs(t *testing.T) {
	f, _ := gopFragment(33_000, 80_000)
	w, err := mp4.NewWriter(clipio.NewWriter(openFileT(t)), benchTracks(t))
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	require.NoError(t, w.WriteFragment(f)) // warm-up: buffers
	assert.Zero(t, testing.AllocsPerRun(20, func() {
		if err := w.WriteFragment(f); err != nil {
			t.Fatal(err)
		}
	}))
}

func openFileT(t *testing.T) io.Writer {
	fh, err := os.Create(filepath.Join(t.TempDir(), "out.mp4"))
	require.NoError(t, err)
	t.Cleanup(func() { fh.Close() })
	return fh
}
