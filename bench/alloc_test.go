package bench

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
// the copy of the fragment and of its block list that the plan keeps for a
// possible second pass (2), and the amortised growth of the manifest and
// of the plan's lists of fragments, index entries and start times (2).
// Measured: 2.2.
const maxPlannedAllocsPerFragment = 4

// TestOnePassAllocsPerFragment: the same steady-state count for a planned
// fMP4 written to a file in one pass, behind (remux.Options.IndexRoom).
func TestOnePassAllocsPerFragment(t *testing.T) {
	f := openFileT(t).(*os.File)
	checkAllocsPerFragment(t, "one pass", maxPlannedAllocsPerFragment, func(data []byte) {
		require.NoError(t, f.Truncate(0))
		_, err := f.Seek(0, io.SeekStart)
		require.NoError(t, err)
		clipAll(t, remux.NewClipper(f, &remux.Options{Planned: true, IndexRoom: 64}), mkv.NewBytesReader(data))
	})
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
// writes it to a file sink (the vectored path) without allocating.
func TestMoofWriterAllocs(t *testing.T) {
	f, _ := gopFragment(33_000, 80_000)
	w, err := mp4.NewWriter(openFileT(t), benchTracks(t))
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	require.NoError(t, w.WriteFragment(f)) // warm-up: buffers
	assert.Zero(t, testing.AllocsPerRun(20, func() {
		if err := w.WriteFragment(f); err != nil {
			t.Fatal(err)
		}
	}))
}
