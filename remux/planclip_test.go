package remux_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvserr"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// indexesOf indexes every fragment of data as the archive does at ingest:
// a fragment's document is its bytes in the input. ok is false when the
// input does not read to its end.
func indexesOf(t testing.TB, data []byte) (idx []*fragindex.Index, docs remux.Documents, ok bool) {
	r := mkv.NewBytesReader(data)
	for {
		f, err := r.Next()
		if err == io.EOF {
			return idx, docs, true
		}
		if err != nil {
			return idx, docs, false
		}
		idx = append(idx, fragindex.FromFragment(f, f.Size))
		docs = append(docs, data[f.Offset:f.Offset+f.Size])
	}
}

// planFormats are the two planned layouts.
var planFormats = []struct {
	name string
	opts remux.Options
}{
	{"mp4", remux.Options{Format: remux.FormatMP4}},
	{"fmp4", remux.Options{Planned: true}},
}

// oldPlanned is the clip the Clipper's planned mode makes of data.
func oldPlanned(data []byte, opts remux.Options) ([]byte, *remux.Manifest, error) {
	var out bytes.Buffer
	c := remux.NewClipper(&out, &opts)
	if err := c.AddAll(mkv.NewBytesReader(data)); err != nil {
		c.Abort()
		return nil, c.Manifest(), err
	}
	man, err := c.Close()
	return out.Bytes(), man, err
}

// planInputFiles lists the committed media and the FuzzClip corpus.
func planInputFiles(t *testing.T) map[string][]byte {
	in := map[string][]byte{}
	media, err := filepath.Glob(filepath.Join("..", "testdata", "*.getmedia.mkv"))
	require.NoError(t, err)
	for _, p := range media {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		in[filepath.Base(p)] = data
	}
	seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzClip", "*"))
	require.NoError(t, err)
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		in["seed-"+filepath.Base(p)] = corpusBytes(t, b)
	}
	require.NotEmpty(t, media)
	return in
}

// corpusBytes reads a "go test fuzz v1" file of one []byte.
func corpusBytes(t *testing.T, b []byte) []byte {
	s := strings.TrimSpace(strings.TrimPrefix(string(b), "go test fuzz v1\n"))
	s = strings.TrimSuffix(strings.TrimPrefix(s, "[]byte("), ")")
	v, err := strconv.Unquote(s)
	require.NoError(t, err)
	return []byte(v)
}

// TestPlanMatchesPlanned: a clip planned from indexes is, byte for byte,
// the clip of the Clipper's planned mode, in both layouts, with the same
// manifest; where that fails, it fails with the same kind at the same
// fragment. Every sampled byte range equals the same slice of the whole.
func TestPlanMatchesPlanned(t *testing.T) {
	ctx := context.Background()
	for name, data := range planInputFiles(t) {
		idx, docs, ok := indexesOf(t, data)
		if !ok {
			continue // the Reader fails: no index for what follows
		}
		for _, pf := range planFormats {
			for _, gaps := range []remux.Gaps{remux.GapsKeep, remux.GapsClose} {
				opts := pf.opts
				opts.Gaps = gaps
				t.Run(name+"/"+pf.name+"/gaps"+strconv.Itoa(int(gaps)), func(t *testing.T) {
					want, wantMan, wantErr := oldPlanned(data, opts)
					pc, err := remux.Plan(ctx, idx, docs, &remux.PlanOptions{Options: opts})
					if wantErr != nil {
						require.Error(t, err)
						assert.Equal(t, kvserr.KindOf(wantErr), kvserr.KindOf(err), "%v / %v", wantErr, err)
						var we, ge *kvserr.Error
						if errors.As(wantErr, &we) && errors.As(err, &ge) {
							assert.Equal(t, we.Fragment, ge.Fragment)
						}
						return
					}
					require.NoError(t, err)
					size, err := pc.Size()
					require.NoError(t, err)
					require.EqualValues(t, len(want), size)
					var got bytes.Buffer
					require.NoError(t, pc.WriteTo(ctx, &got))
					require.True(t, bytes.Equal(want, got.Bytes()), "planned from indexes differs from the planned clip")
					assert.Equal(t, wantMan, pc.Manifest())
					checkRanges(t, pc, want)
				})
			}
		}
	}
}

// checkRanges writes ranges of pc and compares them with whole: the first
// and last bytes, ranges around the header's end and each fragment's
// start, and random ones (mid-sample, mid-moof).
func checkRanges(t *testing.T, pc *remux.PlannedClip, whole []byte) {
	ctx := context.Background()
	n := int64(len(whole))
	ranges := [][2]int64{{0, 1}, {n - 1, n}, {0, n}, {n / 2, n}}
	for _, sp := range topBoxOffsets(whole) {
		for _, d := range []int64{-3, 0, 1, 9} {
			if a := sp + d; a >= 0 && a < n {
				ranges = append(ranges, [2]int64{a, min(a+17, n)}, [2]int64{a, n})
			}
		}
	}
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	for range 12 {
		a := rng.Int64N(n)
		ranges = append(ranges, [2]int64{a, a + 1 + rng.Int64N(n-a)})
	}
	for _, r := range ranges {
		var out bytes.Buffer
		require.NoError(t, pc.WriteRange(ctx, &out, r[0], r[1]))
		require.True(t, bytes.Equal(whole[r[0]:r[1]], out.Bytes()), "range [%d, %d) of %d", r[0], r[1], n)
	}
}

// topBoxOffsets lists where each top-level box starts and, for a moof,
// where its mdat's payload starts.
func topBoxOffsets(b []byte) []int64 {
	var out []int64
	for o := int64(0); o+8 <= int64(len(b)); {
		size := int64(b[o])<<24 | int64(b[o+1])<<16 | int64(b[o+2])<<8 | int64(b[o+3])
		if size == 1 {
			size = 0
			for _, c := range b[o+8 : o+16] {
				size = size<<8 | int64(c)
			}
		}
		if size < 8 {
			break
		}
		out = append(out, o)
		if string(b[o+4:o+8]) == "mdat" {
			out = append(out, o+8)
		}
		o += size
	}
	return out
}
