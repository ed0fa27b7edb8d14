package remux_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
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
	name   string
	format remux.Format
}{
	{"mp4", remux.FormatMP4},
	{"fmp4", remux.FormatFMP4},
}

// planInputFiles lists the committed media (with the B-frame family), the
// FuzzClip corpus and the shared KVS recordings.
func planInputFiles(t *testing.T) map[string][]byte {
	in := map[string][]byte{}
	media, err := filepath.Glob(filepath.Join("..", "testdata", "*.getmedia.mkv"))
	require.NoError(t, err)
	family, err := filepath.Glob(filepath.Join("..", "testdata", "bframes", "*.getmedia.mkv"))
	require.NoError(t, err)
	for _, p := range append(media, family...) {
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
	// The real KVS recordings, when the shared test data is there (CI
	// has it; TestFormats says so when it is missing).
	shared := os.Getenv("KVSCLIP_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "..", "shared", "testdata", "kvs")
	}
	recs, _ := filepath.Glob(filepath.Join(shared, "*", "*.mkv"))
	for _, p := range recs {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		in["rec-"+filepath.Base(p)] = data
	}
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
// the clip of the two-pass reference (TwoPassClip), in both layouts, with
// the same manifest, and so is Clip's planned output; where the reference
// fails, they fail with the same kind at the same fragment. Every sampled
// byte range equals the same slice of the whole.
func TestPlanMatchesPlanned(t *testing.T) {
	for name, data := range planInputFiles(t) {
		idx, docs, ok := indexesOf(t, data)
		if !ok {
			continue // the Reader fails: no index for what follows
		}
		for _, pf := range planFormats {
			for _, gaps := range []remux.GapPolicy{remux.GapsKeep, remux.GapsClose} {
				opts := remux.Options{Gaps: gaps}
				t.Run(name+"/"+pf.name+"/gaps"+strconv.Itoa(int(gaps)), func(t *testing.T) {
					if pc := comparePlans(t, data, idx, docs, opts, pf.format); pc != nil {
						checkRanges(t, pc, docs, mustWrite(t, pc, docs))
					}
				})
			}
		}
	}
}

// comparePlans holds the clip planned from the indexes of data, and
// Clip's planned clip of data, to the two-pass reference's clip of data
// with opts: the same bytes and manifest, or an error of the same kind at
// the same fragment. It returns the planned clip when all succeed.
func comparePlans(t *testing.T, data []byte, idx []*fragindex.Index, docs remux.Documents, opts remux.Options, format remux.Format) *remux.PlannedClip {
	ctx := context.Background()
	want, wantMan, wantErr := remux.TwoPassClip(data, &opts, format)
	pc, err := remux.Plan(ctx, idx, docs, &remux.PlanOptions{Options: opts, Format: format})
	var clip bytes.Buffer
	clipMan, clipErr := remux.Clip(&clip, bytes.NewReader(data), &remux.ClipOptions{Options: opts, Format: format, Planned: true})
	if wantErr != nil {
		for _, got := range []error{err, clipErr} {
			require.Error(t, got, "the planned clip fails: %v", wantErr)
			require.Equal(t, kvs.KindOf(wantErr), kvs.KindOf(got), "%v / %v", wantErr, got)
			var we, ge *kvs.Error
			if errors.As(wantErr, &we) && errors.As(got, &ge) {
				require.Equal(t, we.Fragment, ge.Fragment)
			}
		}
		// Clip's offsets count in the input, as the reference's do.
		var we, ce *kvs.Error
		if errors.As(wantErr, &we) && errors.As(clipErr, &ce) {
			require.Equal(t, we.Offset, ce.Offset, "%v / %v", wantErr, clipErr)
		}
		return nil
	}
	require.NoError(t, err)
	require.NoError(t, clipErr)
	require.True(t, bytes.Equal(want, clip.Bytes()), "Clip's planned clip differs from the reference")
	require.Equal(t, wantMan, clipMan)
	size, err := pc.Size()
	require.NoError(t, err)
	require.EqualValues(t, len(want), size)
	require.True(t, bytes.Equal(want, mustWrite(t, pc, docs)), "planned from indexes differs from the planned clip")
	require.Equal(t, wantMan, pc.Manifest())
	return pc
}

// checkRanges writes ranges of pc and compares them with whole: the first
// and last bytes, ranges around the header's end and each fragment's
// start, and random ones (mid-sample, mid-moof).
func checkRanges(t *testing.T, pc *remux.PlannedClip, src remux.Payloads, whole []byte) {
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
		require.NoError(t, pc.WriteRange(ctx, &out, src, r[0], r[1]))
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

// mediaFragments reads the fragments of a committed media file, cloned.
func mediaFragments(t *testing.T, name string) []*mkv.Fragment {
	data, err := os.ReadFile(filepath.Join("..", "testdata", name+".getmedia.mkv"))
	require.NoError(t, err)
	return cloneFragments(t, data)
}

// cloneFragments reads every fragment of data, each a clone that outlives
// the Reader.
func cloneFragments(t *testing.T, data []byte) []*mkv.Fragment {
	r := mkv.NewBytesReader(data)
	var frags []*mkv.Fragment
	for {
		f, err := r.Next()
		if err == io.EOF {
			return frags
		}
		require.NoError(t, err)
		frags = append(frags, f.Clone())
	}
}

// annexB3 rewrites a 4-byte-length frame with 3-byte start codes, so that
// its MP4 form is longer than its stored bytes.
func annexB3(frame []byte) []byte {
	var out []byte
	for pos := 0; pos+4 <= len(frame); {
		n := int(frame[pos])<<24 | int(frame[pos+1])<<16 | int(frame[pos+2])<<8 | int(frame[pos+3])
		out = append(append(out, 0, 0, 1), frame[pos+4:pos+4+n]...)
		pos += 4 + n
	}
	return out
}

// TestPlanChangedFrames holds the frames whose bytes change in the MP4 —
// Annex-B with 4- and 3-byte start codes, read during planning and
// converted again at each write — and the parameter sets put in front of
// the first frame after a codec change, to the two-pass reference; a
// FileWriter's fMP4, written in one pass or again, is the same clip.
func TestPlanChangedFrames(t *testing.T) {
	annex := mediaFragments(t, "h264-high-bpyramid-aac48k-mono")
	for _, f := range annex {
		for i := range f.Blocks {
			if f.Blocks[i].Track == 1 {
				if i%2 == 0 {
					f.Blocks[i].Data = annexB3(f.Blocks[i].Data)
				} else {
					f.Blocks[i].Data = toAnnexB(f.Blocks[i].Data)
				}
			}
		}
	}
	h := testHeader(true)
	other := testHeader(true)
	other.Tracks[0].CodecPrivate = append(append([]byte{}, testAvcC...), 0xFD, 0xF8, 0xF8, 0)
	change := []*mkv.Fragment{fragment(h, 1000, 5, true), fragment(other, 1200, 5, true), fragment(other, 1400, 5, true), fragment(h, 1600, 5, true)}
	for _, c := range []struct {
		name  string
		frags []*mkv.Fragment
		opts  remux.Options
	}{
		{"annexb", annex, remux.Options{}},
		{"codec change", change, remux.Options{AllowCodecChange: true}},
	} {
		data := writeDump(t, c.frags...)
		idx, docs, ok := indexesOf(t, data)
		require.True(t, ok)
		for _, pf := range planFormats {
			t.Run(c.name+"/"+pf.name, func(t *testing.T) {
				opts := c.opts
				want, wantMan, err := remux.TwoPassClip(data, &opts, pf.format, h, other)
				require.NoError(t, err)

				src := &countingSource{docs: docs}
				pc, err := remux.Plan(context.Background(), idx, src, &remux.PlanOptions{Options: opts, Format: pf.format})
				require.NoError(t, err)
				if c.name == "annexb" {
					assert.Positive(t, src.calls, "planning reads the frames it converts")
				} else {
					assert.Zero(t, src.calls, "4-byte length-prefixed frames are planned from the index alone")
				}
				var got bytes.Buffer
				require.NoError(t, pc.WriteTo(context.Background(), &got, src))
				require.True(t, bytes.Equal(want, got.Bytes()), "planned from indexes differs from the planned clip")
				assert.Equal(t, wantMan, pc.Manifest())
				checkRanges(t, pc, docs, want)
				if pf.format == remux.FormatFMP4 {
					// In one pass, with room and without: the same
					// descriptions, in the order the fragments bring them.
					for _, room := range []int{100, 1} {
						var f memFile
						w, err := remux.NewFileWriter(&f, room, &opts, h, other)
						require.NoError(t, err)
						require.NoError(t, w.AddAll(data))
						_, _, err = w.Close(context.Background())
						require.NoError(t, err)
						assert.True(t, bytes.Equal(want, mediatest.WithoutBoxes(t, f.b, "free")), "one pass, room %d", room)
					}
				}
			})
		}
	}
}

// countingSource counts the reads of documents in memory.
type countingSource struct {
	docs  remux.Documents
	calls int
}

func (s *countingSource) Payload(ctx context.Context, frag int, off, n int64) ([]byte, error) {
	s.calls++
	return s.docs.Payload(ctx, frag, off, n)
}

// faultySource fails, or answers short, from its failAt-th read on.
type faultySource struct {
	docs   remux.Documents
	failAt int
	short  bool
	calls  int
}

var errStorage = errors.New("storage is down")

func (s *faultySource) Payload(ctx context.Context, frag int, off, n int64) ([]byte, error) {
	s.calls++
	b, err := s.docs.Payload(ctx, frag, off, n)
	if s.calls < s.failAt || err != nil {
		return b, err
	}
	if s.short {
		return b[:len(b)-1], nil
	}
	return nil, errStorage
}

// TestPlanPayloadErrors: a source that fails mid-clip, or returns another
// number of bytes than asked for, fails the write with a *PayloadError
// naming the fragment; nothing is written past what came before, and a
// clip is never short without an error.
func TestPlanPayloadErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	require.NoError(t, err)
	idx, docs, ok := indexesOf(t, data)
	require.True(t, ok)
	require.Greater(t, len(idx), 1)
	for _, pf := range planFormats {
		for _, short := range []bool{false, true} {
			t.Run(pf.name+"/short="+strconv.FormatBool(short), func(t *testing.T) {
				src := &faultySource{docs: docs, failAt: 2, short: short}
				pc, err := remux.Plan(context.Background(), idx, src, &remux.PlanOptions{Format: pf.format})
				require.NoError(t, err)
				size, err := pc.Size()
				require.NoError(t, err)
				var out bytes.Buffer
				err = pc.WriteTo(context.Background(), &out, src)
				require.Error(t, err)
				var pe *remux.PayloadError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, idx[1].Tags.FragmentNumber, pe.Fragment, "the second fragment's read fails")
				if short {
					assert.ErrorIs(t, err, remux.ErrPayloadSize)
				} else {
					assert.ErrorIs(t, err, errStorage)
				}
				assert.Equal(t, kvs.Unknown, kvs.KindOf(err), "an internal failure")
				assert.Less(t, int64(out.Len()), size)
			})
		}
	}
	t.Run("kind of the cause", func(t *testing.T) {
		e := &remux.PayloadError{Err: kvs.New(kvs.ResourceNotFound, "fragment deleted")}
		assert.Equal(t, kvs.ResourceNotFound, kvs.KindOf(e))
	})
}

// TestPlanErrors: bad requests and bad indexes are InvalidArgument
// errors; no fragment with media is ResourceNotFound, as GetClip says.
func TestPlanErrors(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	require.NoError(t, err)
	idx, docs, _ := indexesOf(t, data)

	_, err = remux.Plan(ctx, nil, docs, nil)
	assert.Equal(t, kvs.ResourceNotFound, kvs.KindOf(err))

	pc, err := remux.Plan(ctx, idx, docs, nil)
	require.NoError(t, err)
	size, _ := pc.Size()
	for _, r := range [][2]int64{{-1, 10}, {0, size + 1}, {5, 5}} {
		assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(pc.WriteRange(ctx, io.Discard, docs, r[0], r[1])), "%v", r)
	}

	bad := *idx[0]
	bad.Samples = append([]fragindex.Sample(nil), idx[0].Samples...)
	bad.Samples[3].Offset = bad.DocSize
	_, err = remux.Plan(ctx, []*fragindex.Index{&bad}, docs, nil)
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err), "%v", err)

	_, err = remux.Plan(ctx, idx, docs, &remux.PlanOptions{Inputs: []int{1}})
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))

	// A failed plan still has its manifest, and refuses to write.
	other := testHeader(false)
	mixed := append([]*fragindex.Index{}, idx...)
	mixed = append(mixed, fragindex.FromFragment(fragment(other, 1, 3, false), 1<<20))
	pc, err = remux.Plan(ctx, mixed, docs, &remux.PlanOptions{Inputs: []int{10, 11, 12, 13, 14, 15, 16}[:len(mixed)]})
	require.Error(t, err)
	assert.Equal(t, kvs.UnsupportedStreamMediaType, kvs.KindOf(err))
	man := pc.Manifest()
	require.Len(t, man.Fragments, len(mixed))
	assert.Equal(t, 10, man.Fragments[0].Index)
	assert.Equal(t, err, pc.WriteTo(ctx, io.Discard, docs))
}

// spanSource records the reads of documents in memory.
type spanSource struct {
	docs  remux.Documents
	spans []remux.Span
}

func (s *spanSource) Payload(ctx context.Context, frag int, off, n int64) ([]byte, error) {
	s.spans = append(s.spans, remux.Span{Fragment: frag, Offset: off, Size: n})
	return s.docs.Payload(ctx, frag, off, n)
}

// TestPlanSpans: Spans lists exactly the reads a write makes, one per
// fragment it covers, in list order; a range inside one sample reads that
// sample only.
func TestPlanSpans(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-main-aac44k-stereo.getmedia.mkv"))
	require.NoError(t, err)
	idx, docs, ok := indexesOf(t, data)
	require.True(t, ok)
	for _, pf := range planFormats {
		src := &spanSource{docs: docs}
		pc, err := remux.Plan(ctx, idx, src, &remux.PlanOptions{Format: pf.format})
		require.NoError(t, err)
		size, _ := pc.Size()
		rng := rand.New(rand.NewPCG(3, 4))
		for range 20 {
			a := rng.Int64N(size)
			b := a + 1 + rng.Int64N(size-a)
			src.spans = nil
			require.NoError(t, pc.WriteRange(ctx, io.Discard, src, a, b))
			assert.Equal(t, src.spans, pc.Spans(a, b), "%s [%d, %d)", pf.name, a, b)
			for i := 1; i < len(src.spans); i++ {
				assert.Greater(t, src.spans[i].Fragment, src.spans[i-1].Fragment)
			}
		}
		whole := pc.Spans(0, size)
		require.Len(t, whole, len(idx), "one read per fragment")
		last := idx[len(idx)-1]
		s := last.Samples[len(last.Samples)/2]
		at := bytes.Index(mustWrite(t, pc, docs), docs[len(idx)-1][s.Offset:s.Offset+int64(s.Size)])
		require.Positive(t, at)
		src.spans = nil
		var out bytes.Buffer
		require.NoError(t, pc.WriteRange(ctx, &out, src, int64(at)+1, int64(at)+2))
		assert.Equal(t, []remux.Span{{Fragment: len(idx) - 1, Offset: s.Offset, Size: int64(s.Size)}}, src.spans)
	}
}

// mustWrite writes the whole clip.
func mustWrite(t testing.TB, pc *remux.PlannedClip, src remux.Payloads) []byte {
	var out bytes.Buffer
	require.NoError(t, pc.WriteTo(context.Background(), &out, src))
	return out.Bytes()
}

// syntheticDump is a GetMedia dump of n fragments as BenchmarkClip makes
// them: 2 s of 25 fps video with 20 KB frames, and AAC. payload counts
// the frames' bytes.
func syntheticDump(tb testing.TB, n int) (data []byte, payload int64) {
	h := testHeader(true)
	var b bytes.Buffer
	w := mkv.NewWriter(&b, nil)
	for i := 0; i < n; i++ {
		f := fragment(h, int64(i)*2000, 50, true)
		for j := range f.Blocks {
			if f.Blocks[j].Track == 1 {
				f.Blocks[j].Data = frame(20_000, j == 0)
			}
			payload += int64(len(f.Blocks[j].Data))
		}
		require.NoError(tb, w.WriteFragment(f))
	}
	require.NoError(tb, w.Close())
	return b.Bytes(), payload
}

// plannedFile is the planned fMP4 of a committed recording (file, without
// .getmedia.mkv), with the recording, its documents and the clip's bytes.
func plannedFile(t *testing.T, file string) (data []byte, pc *remux.PlannedClip, docs remux.Documents, whole []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", file+".getmedia.mkv"))
	require.NoError(t, err)
	idx, docs, ok := indexesOf(t, data)
	require.True(t, ok)
	pc, err = remux.Plan(context.Background(), idx, docs, nil)
	require.NoError(t, err)
	return data, pc, docs, mustWrite(t, pc, docs)
}

// plannedFragments is the planned clip of syntheticDump(n).
func plannedFragments(tb testing.TB, n int, format remux.Format) (*remux.PlannedClip, remux.Documents, int64) {
	data, payload := syntheticDump(tb, n)
	idx, docs, ok := indexesOf(tb, data)
	require.True(tb, ok)
	pc, err := remux.Plan(context.Background(), idx, docs, &remux.PlanOptions{Format: format})
	require.NoError(tb, err)
	return pc, docs, payload
}

// TestPlannedWriteAllocs: writing a planned clip again allocates nothing
// per sample or per fragment: a clip of 2 and one of 20 fragments cost the
// same few allocations.
func TestPlannedWriteAllocs(t *testing.T) {
	for _, format := range []remux.Format{remux.FormatFMP4, remux.FormatMP4} {
		var per []float64
		for _, n := range []int{2, 20} {
			pc, docs, _ := plannedFragments(t, n, format)
			var src remux.Payloads = docs // once: a slice in an interface is an allocation
			write := func() { require.NoError(t, pc.WriteTo(context.Background(), io.Discard, src)) }
			write()
			per = append(per, testing.AllocsPerRun(20, write))
		}
		assert.Zero(t, per[0], "%s: %v allocations per write", format, per)
		assert.Equal(t, per[0], per[1], "%s: allocations grow with the clip: %v", format, per)
	}
}

// BenchmarkPlan measures planning from indexes alone (no payload read):
// 10 fragments of 2 s, 20 KB video frames and AAC. The bytes are those of
// the payloads planned.
func BenchmarkPlan(b *testing.B) {
	for _, format := range []remux.Format{remux.FormatFMP4, remux.FormatMP4} {
		b.Run(format.String(), func(b *testing.B) {
			data, payload := syntheticDump(b, 10)
			idx, docs, _ := indexesOf(b, data)
			opts := &remux.PlanOptions{Format: format}
			b.ReportAllocs()
			b.SetBytes(payload)
			for b.Loop() {
				if _, err := remux.Plan(context.Background(), idx, docs, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlannedWrite measures writing a planned clip from a source of
// documents in memory to a discarding writer: the same clip as
// BenchmarkPlan.
func BenchmarkPlannedWrite(b *testing.B) {
	for _, format := range []remux.Format{remux.FormatFMP4, remux.FormatMP4} {
		b.Run(format.String(), func(b *testing.B) {
			pc, docs, payload := plannedFragments(b, 10, format)
			b.ReportAllocs()
			b.SetBytes(payload)
			for b.Loop() {
				if err := pc.WriteTo(context.Background(), io.Discard, docs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestReadAhead writes ranges of a planned clip through a ReadAhead over a
// slow ranged reader: the bytes are the clip's, reads overlap, and the
// spans read and not yet let go stay within the bounds.
func TestReadAhead(t *testing.T) {
	ctx := context.Background()
	_, pc, docs, whole := plannedFile(t, "h264-main-aac44k-stereo")
	size := int64(len(whole))
	// A read takes 2 ms of a synctest bubble's clock, which moves only
	// when every goroutine of the bubble waits: each read is still under
	// way when the ReadAhead has started all it may, so the reads overlap
	// as far as the bounds allow however loaded the machine, and no wall
	// time passes.
	synctest.Test(t, func(t *testing.T) {
		for _, opts := range []remux.ReadAheadOptions{{}, {MaxReads: 2}, {MaxBytes: 1}} {
			for _, r := range [][2]int64{{0, size}, {size / 3, size - 5}, {size - 1, size}} {
				var mu sync.Mutex
				var started, inFlight, most int
				read := func(ctx context.Context, s remux.Span) ([]byte, error) {
					mu.Lock()
					started++
					inFlight++
					most = max(most, inFlight)
					mu.Unlock()
					time.Sleep(2 * time.Millisecond)
					mu.Lock()
					inFlight--
					mu.Unlock()
					return docs.Payload(ctx, s.Fragment, s.Offset, s.Size)
				}
				spans := pc.Spans(r[0], r[1])
				ra := remux.NewReadAhead(ctx, spans, read, &opts)
				var out bytes.Buffer
				require.NoError(t, pc.WriteRange(ctx, &out, ra, r[0], r[1]))
				ra.Close()
				require.True(t, bytes.Equal(whole[r[0]:r[1]], out.Bytes()), "%+v [%d, %d)", opts, r[0], r[1])
				assert.Equal(t, len(spans), started, "each span read once")
				limit := remux.DefaultReadAheadReads
				switch {
				case opts.MaxReads > 0:
					limit = opts.MaxReads
				case opts.MaxBytes > 0:
					limit = 1
				}
				assert.LessOrEqual(t, most, limit, "%+v", opts)
				if len(spans) > 2 && opts == (remux.ReadAheadOptions{}) {
					assert.Greater(t, most, 1, "reads overlap")
				}
			}
		}
	})

	t.Run("a failed read fails the write", func(t *testing.T) {
		read := func(ctx context.Context, s remux.Span) ([]byte, error) {
			if s.Fragment == 1 {
				return nil, errStorage
			}
			return docs.Payload(ctx, s.Fragment, s.Offset, s.Size)
		}
		ra := remux.NewReadAhead(ctx, pc.Spans(0, size), read, nil)
		defer ra.Close()
		err := pc.WriteTo(ctx, io.Discard, ra)
		assert.ErrorIs(t, err, errStorage)
		var pe *remux.PayloadError
		assert.ErrorAs(t, err, &pe)
	})
	t.Run("closed before the write ends", func(t *testing.T) {
		ra := remux.NewReadAhead(ctx, pc.Spans(0, size), func(ctx context.Context, s remux.Span) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, nil)
		ra.Close()
		assert.ErrorIs(t, pc.WriteTo(ctx, io.Discard, ra), context.Canceled)
	})
}

// TestPlannedConcurrentWrites: a planned clip is written by several
// goroutines at once, each its own range, as a service answers requests.
func TestPlannedConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	for _, format := range []remux.Format{remux.FormatFMP4, remux.FormatMP4} {
		pc, docs, _ := plannedFragments(t, 4, format)
		whole := mustWrite(t, pc, docs)
		n := int64(len(whole))
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for g := range errs {
			wg.Go(func() {
				a := n * int64(g) / int64(len(errs))
				var out bytes.Buffer
				if errs[g] = pc.WriteRange(ctx, &out, docs, a, n); errs[g] == nil && !bytes.Equal(whole[a:], out.Bytes()) {
					errs[g] = fmt.Errorf("range [%d, %d) differs", a, n)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			assert.NoError(t, err, format.String())
		}
	}
}
