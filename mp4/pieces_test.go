package mp4

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vectorRecorder is a VectorWriter that keeps, per call, the payload slices
// as given and a copy of the bytes.
type vectorRecorder struct {
	bytes.Buffer
	payloads [][]byte
	calls    int
	flushes  int
}

func (r *vectorRecorder) WriteVector(head []byte, payloads [][]byte) error {
	r.calls++
	r.Write(head)
	for _, p := range payloads {
		r.payloads = append(r.payloads, p)
		r.Write(p)
	}
	return nil
}

func (r *vectorRecorder) Flush() error {
	r.flushes++
	return nil
}

// TestVectorWriter: a VectorWriter gets each fragment in one call, the
// payloads as the caller's own slices, and the bytes any io.Writer gets;
// Flush reaches it.
func TestVectorWriter(t *testing.T) {
	tracks := syntheticTracks()
	f := syntheticFragment()
	write := func(sink io.Writer) *Writer {
		w, err := NewWriter(sink, tracks)
		require.NoError(t, err)
		require.NoError(t, w.WriteInit())
		require.NoError(t, w.WriteFragment(f))
		require.NoError(t, w.WriteFragment(f))
		require.NoError(t, w.Flush())
		return w
	}
	var want bytes.Buffer
	write(&want)
	var rec vectorRecorder
	w := write(&rec)
	assert.Equal(t, want.Bytes(), rec.Bytes())
	assert.EqualValues(t, rec.Len(), w.BytesWritten())
	assert.Equal(t, 2, rec.calls, "one call per fragment")
	assert.Equal(t, 1, rec.flushes)
	var n int
	for _, r := range f.Tracks {
		n += len(r.Samples)
	}
	require.Len(t, rec.payloads, 2*n)
	assert.Same(t, &f.Tracks[0].Samples[0].Data[0], &rec.payloads[0][0], "passed by reference")

	var prog vectorRecorder
	p, err := NewProgressive(tracks)
	require.NoError(t, err)
	require.NoError(t, p.Plan(f))
	require.NoError(t, p.WriteHeader(&prog))
	require.NoError(t, p.WriteFragment(f))
	require.NoError(t, p.Close())
	assert.Equal(t, 1, prog.calls)
	assert.Len(t, prog.payloads, n)
	assert.EqualValues(t, prog.Len(), p.BytesWritten())
}

// TestZeroAllocsPerFragment: a steady-state WriteFragment allocates
// nothing, to a VectorWriter or to a plain io.Writer.
func TestZeroAllocsPerFragment(t *testing.T) {
	for _, sink := range []io.Writer{io.Discard, discardVectors{}} {
		f := syntheticFragment()
		w, err := NewWriter(sink, syntheticTracks())
		require.NoError(t, err)
		require.NoError(t, w.WriteInit())
		write := func() {
			f.Tracks[0].BaseDecodeTime += 90000
			if err := w.WriteFragment(f); err != nil {
				t.Fatal(err)
			}
		}
		write() // warm-up: header buffer, plan and vector slices
		assert.Zero(t, testing.AllocsPerRun(100, write), "allocations per fragment to %T", sink)
	}
}

// discardVectors is a VectorWriter that keeps nothing.
type discardVectors struct{}

func (discardVectors) Write(p []byte) (int, error)        { return len(p), nil }
func (discardVectors) WriteVector([]byte, [][]byte) error { return nil }
func (discardVectors) Flush() error                       { return nil }
