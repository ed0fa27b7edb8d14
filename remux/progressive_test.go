package remux_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/remux"
)

// planInputs lists every input the format tests run: the generated
// fixtures and the real recordings that make a clip. Without the
// recordings, a subtest "recordings" skips (fails under CI) and the
// generated fixtures still run.
func planInputs(t *testing.T) map[string]string {
	in := map[string]string{}
	for _, fx := range generatedFixtures {
		in[fx.file] = filepath.Join("..", "testdata", fx.file+".getmedia.mkv")
	}
	var dir string
	t.Run("recordings", func(t *testing.T) { dir = mediatest.SharedDir(t) })
	if dir == "" {
		return in
	}
	for _, rec := range recordings {
		if rec.wantKind != kvs.Unknown {
			continue
		}
		path := filepath.Join(dir, rec.path)
		if local, ok := strings.CutPrefix(rec.path, "local:"); ok {
			path = filepath.Join("..", "testdata", local)
		}
		in[filepath.Base(rec.path)] = path
	}
	return in
}

// clipPlanned clips data in format through a Collector, checking that
// the planned size is what is written and that Clip writes the same.
func clipPlanned(t *testing.T, data []byte, format remux.Format) []byte {
	t.Helper()
	ctx := context.Background()
	var col remux.Collector
	require.NoError(t, col.AddAll(data))
	pc, err := col.Plan(ctx, &remux.PlanOptions{Format: format})
	require.NoError(t, err)
	size, err := pc.Size()
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, pc.WriteTo(ctx, &out, col.Payloads()))
	require.EqualValues(t, size, out.Len(), "the planned size")
	var clip bytes.Buffer
	_, err = remux.Clip(&clip, bytes.NewReader(data), &remux.ClipOptions{Format: format, Planned: true})
	require.NoError(t, err)
	require.True(t, bytes.Equal(out.Bytes(), clip.Bytes()), "Clip writes the clip a Collector plans")
	return out.Bytes()
}

// TestFormats runs every input through the three layouts — streaming fMP4,
// planned (indexed) fMP4 and progressive MP4 — and holds each against the
// input with the same oracles as TestFixtures and TestRecordings, and the
// progressive and indexed ones against the streaming one: the same
// packets, sizes, decode and presentation times and key flags.
func TestFormats(t *testing.T) {
	for name, path := range planInputs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			gap := name == "output-get-media-non-increasing-timecode.mkv"
			dir := t.TempDir()

			var stream bytes.Buffer
			_, err = remux.Clip(&stream, bytes.NewReader(data), nil)
			require.NoError(t, err)
			streamPath := filepath.Join(dir, "stream.mp4")
			require.NoError(t, os.WriteFile(streamPath, stream.Bytes(), 0o644))
			ref := mediatest.Packets(t, streamPath)
			var mp4End *float64

			for _, tc := range []struct {
				name   string
				format remux.Format
			}{
				{"mp4", remux.FormatMP4},
				{"fmp4-indexed", remux.FormatFMP4},
			} {
				out := clipPlanned(t, data, tc.format)
				p := filepath.Join(dir, tc.name+".mp4")
				require.NoError(t, os.WriteFile(p, out, 0o644))
				checkDecodes(t, p, gap)
				// The streaming file's packets are checked against the
				// input by TestFixtures and TestRecordings; equal
				// packets here carry that over.
				got := mediatest.Packets(t, p)
				require.Len(t, got, len(ref), tc.name)
				if tc.format == remux.FormatMP4 {
					// ffprobe lists a progressive file's packets in
					// file order too: chunk by chunk, as the fragments.
					top := topBoxes(t, out)
					assert.Equal(t, []string{"ftyp", "moov", "mdat"}, top, "moov before mdat")
				} else {
					top := topBoxes(t, out)
					assert.Equal(t, []string{"ftyp", "moov", "sidx", "moof"}, top[:4])
				}
				for i := range ref {
					// ffprobe's packet durations of a fragmented file are
					// guesses (a frame rate, or none); the sample tables
					// hold the trun's durations, checked by the times.
					r, g := ref[i], got[i]
					r.Duration, g.Duration = 0, 0
					assert.Equal(t, r, g, "%s packet %d", tc.name, i)
				}
				// The length the headers declare is where the last
				// sample's presentation ends.
				if tc.format == remux.FormatMP4 {
					end := packetsEnd(got, mediatest.TimeBase(t, p))
					assert.InDelta(t, end, probeDuration(t, p), 0.002, "the moov says how long the clip is")
					if mp4End == nil {
						mp4End = &end
					}
				} else {
					assert.InDelta(t, *mp4End, headerDuration(t, out), 0.002, "the mehd says how long the clip is")
				}
			}
		})
	}
}

// TestPlannedErrors: a clip with no media fails at Plan, before any byte,
// and WriteRange refuses ranges outside the clip.
func TestPlannedErrors(t *testing.T) {
	ctx := context.Background()
	var col remux.Collector
	pc, err := col.Plan(ctx, &remux.PlanOptions{Format: remux.FormatMP4})
	assert.Equal(t, kvs.ResourceNotFound, kvs.KindOf(err))
	var out bytes.Buffer
	assert.Equal(t, kvs.ResourceNotFound, kvs.KindOf(pc.WriteTo(ctx, &out, col.Payloads())))
	assert.Zero(t, out.Len())

	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	require.NoError(t, err)
	idx, docs, ok := indexesOf(t, data)
	require.True(t, ok)
	pc, err = remux.Plan(ctx, idx, docs, &remux.PlanOptions{Format: remux.FormatMP4})
	require.NoError(t, err)
	size, err := pc.Size()
	require.NoError(t, err)
	for _, r := range [][2]int64{{-1, 10}, {0, size + 1}, {5, 5}} {
		assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(pc.WriteRange(ctx, &out, docs, r[0], r[1])), "%v", r)
	}
	assert.Zero(t, out.Len())

	f, err := remux.ParseFormat("mp4")
	require.NoError(t, err)
	assert.Equal(t, "mp4", f.String())
	_, err = remux.ParseFormat("webm")
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))
}

// topBoxes lists the types of the file's top-level boxes.
func topBoxes(t *testing.T, b []byte) []string {
	var types []string
	for o := 0; o+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[o:]))
		if size == 1 {
			size = int(binary.BigEndian.Uint64(b[o+8:]))
		}
		require.GreaterOrEqual(t, size, 8, "box at %d", o)
		types = append(types, string(b[o+4:o+8]))
		o += size
	}
	return types
}

// probeDuration is the file's duration as ffprobe reports it.
func probeDuration(t *testing.T, path string) float64 {
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).Output()
	require.NoError(t, err)
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	require.NoError(t, err)
	return d
}

// packetsEnd is where the file's last packet ends, in seconds.
func packetsEnd(pkts []mediatest.Packet, tbs []int64) float64 {
	var end float64
	for _, p := range pkts {
		end = max(end, float64(p.PTS+p.Duration)/float64(tbs[p.Stream]))
	}
	return end
}

// headerDuration reads the mehd of an indexed fMP4 (version 1, ms).
func headerDuration(t *testing.T, b []byte) float64 {
	i := bytes.Index(b, []byte("mehd"))
	require.Positive(t, i, "mehd")
	require.EqualValues(t, 1, b[i+4], "mehd version")
	return float64(binary.BigEndian.Uint64(b[i+8:])) / 1000
}
