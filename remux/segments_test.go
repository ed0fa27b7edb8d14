package remux_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/remux"
)

// segmentCases are the ways a session cuts a clip: keep is the index in
// the manifest's tracks of the track kept (-1: every track), origin the
// segments' origin given the clip's.
var segmentCases = []struct {
	name       string
	keep       int
	origin     func(clip int64) int64
	noDuration bool
}{
	{"every track on the clip's time line", -1, func(clip int64) int64 { return clip }, false},
	{"every track since the epoch", -1, func(int64) int64 { return 0 }, true},
	{"video since the epoch", 0, func(int64) int64 { return 0 }, true},
	{"audio from a second and a half before the clip", 1, func(clip int64) int64 { return clip - 1_500_000_001 }, true},
	{"video from a third of a millisecond before the clip", 0, func(clip int64) int64 { return clip - 333_333 }, false},
}

// segmentInputs are the committed recordings with video and audio.
func segmentInputs() []string {
	files := []string{"h264-aac-160x120"}
	for _, fx := range generatedFixtures {
		files = append(files, fx.file)
	}
	return files
}

// TestSegments cuts the planned fMP4 of each committed recording as each
// segmentCase says, and holds every segment to the clip, decoded by mp4ff:
// the tracks kept, the same samples with the same bytes, durations and
// composition offsets, decode times moved by the origin; on the clip's own
// time line with every track, the segments are the clip's bytes. The init
// segment and the media segments, put together, decode with ffmpeg with
// every frame of the input's tracks kept, its size and its time.
func TestSegments(t *testing.T) {
	ctx := context.Background()
	for _, file := range segmentInputs() {
		data, pc, docs, whole := plannedFile(t, file)
		clip, err := mp4ff.DecodeFile(bytes.NewReader(whole))
		require.NoError(t, err)
		man := pc.Manifest()
		require.Len(t, man.Tracks, 2, file)
		input := expectSamples(t, data)
		for _, tc := range segmentCases {
			t.Run(file+"/"+tc.name, func(t *testing.T) {
				opts := &remux.SegmentOptions{Origin: tc.origin(pc.Origin()), NoDuration: tc.noDuration}
				kept := []uint32{man.Tracks[0].ID, man.Tracks[1].ID}
				if tc.keep >= 0 {
					opts.Track = kept[tc.keep]
					kept = kept[tc.keep : tc.keep+1]
				}
				segs, err := pc.Segments(opts)
				require.NoError(t, err)
				init := segs.Init()
				checkInit(t, init, clip, kept, !tc.noDuration)

				file := append([]byte(nil), init...)
				var media []byte
				for frag, entry := range man.Fragments {
					size, err := segs.Size(frag)
					if !entry.Included {
						assert.ErrorIs(t, err, remux.ErrNoSegment)
						continue
					}
					require.NoError(t, err)
					var seg bytes.Buffer
					require.NoError(t, segs.WriteSegment(ctx, &seg, docs, frag))
					require.EqualValues(t, size, seg.Len(), "fragment %d: as long as Size says", frag)
					require.Len(t, segs.Spans(frag), 1)
					checkSegment(t, init, seg.Bytes(), clip, kept, opts.Origin-pc.Origin())
					media = append(media, seg.Bytes()...)
				}
				file = append(file, media...)
				if opts.Origin == pc.Origin() && opts.Track == 0 && !opts.NoDuration {
					// The clip is the init segment, its sidx and the
					// media segments.
					require.True(t, bytes.HasPrefix(whole, init), "the clip starts with the init segment")
					require.True(t, bytes.HasSuffix(whole, media), "the clip ends with the media segments")
					sidx := whole[len(init) : len(whole)-len(media)]
					require.GreaterOrEqual(t, len(sidx), 8)
					assert.Equal(t, "sidx", string(sidx[4:8]))
					assert.EqualValues(t, len(sidx), binary.BigEndian.Uint32(sidx))
				}

				path := filepath.Join(t.TempDir(), "segments.mp4")
				require.NoError(t, os.WriteFile(path, file, 0o644))
				checkDecodes(t, path, false)
				want := map[uint64][]expectedSample{}
				for i, id := range kept {
					want[uint64(i+1)] = input[uint64(trackNumber(man, id))]
				}
				checkShiftedPackets(t, path, want, pc.Origin()-opts.Origin)
			})
		}
	}
}

// trackNumber is the input track of output track id: the manifest lists
// them in output order, video (input track 1) first.
func trackNumber(man *remux.Manifest, id uint32) int {
	for i, tr := range man.Tracks {
		if tr.ID == id {
			return i + 1
		}
	}
	return 0
}

// checkInit holds an init segment to the clip's: its tracks are those
// kept, each described as in the clip, with a mehd of the clip's duration
// or none.
func checkInit(t *testing.T, init []byte, clip *mp4ff.File, kept []uint32, duration bool) {
	t.Helper()
	f, err := mp4ff.DecodeFile(bytes.NewReader(init))
	require.NoError(t, err)
	require.NotNil(t, f.Init)
	require.Empty(t, f.Segments, "an init segment alone")
	moov := f.Init.Moov
	require.Len(t, moov.Traks, len(kept))
	require.Len(t, moov.Mvex.Trexs, len(kept))
	for i, id := range kept {
		assert.Equal(t, id, moov.Traks[i].Tkhd.TrackID)
		assert.Equal(t, id, moov.Mvex.Trexs[i].TrackID)
		var want *mp4ff.TrakBox
		for _, tr := range clip.Init.Moov.Traks {
			if tr.Tkhd.TrackID == id {
				want = tr
			}
		}
		require.NotNil(t, want, "track %d is the clip's", id)
		assert.Equal(t, encodeBox(t, want), encodeBox(t, moov.Traks[i]), "track %d as the clip describes it", id)
	}
	if duration {
		require.NotNil(t, moov.Mvex.Mehd)
		assert.Equal(t, clip.Init.Moov.Mvex.Mehd.FragmentDuration, moov.Mvex.Mehd.FragmentDuration)
	} else {
		assert.Nil(t, moov.Mvex.Mehd)
	}
}

func encodeBox(t *testing.T, b mp4ff.Box) []byte {
	var out bytes.Buffer
	require.NoError(t, b.Encode(&out))
	return out.Bytes()
}

// checkSegment decodes a media segment behind its init segment and holds
// each track's samples to those of the clip's fragment of the same
// sequence number: the same bytes, durations and composition offsets, and
// decode times earlier by shift ns (rounded in the track's timescale).
func checkSegment(t *testing.T, init, seg []byte, clip *mp4ff.File, kept []uint32, shift int64) {
	t.Helper()
	f, err := mp4ff.DecodeFile(bytes.NewReader(append(append([]byte(nil), init...), seg...)))
	require.NoError(t, err)
	require.Len(t, f.Segments, 1)
	require.Len(t, f.Segments[0].Fragments, 1, "one moof and one mdat")
	got := f.Segments[0].Fragments[0]
	var want *mp4ff.Fragment
	for _, s := range clip.Segments {
		for _, fr := range s.Fragments {
			if fr.Moof.Mfhd.SequenceNumber == got.Moof.Mfhd.SequenceNumber {
				want = fr
			}
		}
	}
	require.NotNil(t, want, "the clip's fragment %d", got.Moof.Mfhd.SequenceNumber)
	require.LessOrEqual(t, len(got.Moof.Trafs), len(kept))
	for _, traf := range got.Moof.Trafs {
		assert.Contains(t, kept, traf.Tfhd.TrackID, "a track kept")
	}
	for _, trex := range f.Init.Moov.Mvex.Trexs {
		gs, err := got.GetFullSamples(trex)
		require.NoError(t, err)
		ws, err := want.GetFullSamples(trex)
		require.NoError(t, err)
		require.Len(t, gs, len(ws), "track %d", trex.TrackID)
		var scale uint32
		for _, tr := range f.Init.Moov.Traks {
			if tr.Tkhd.TrackID == trex.TrackID {
				scale = tr.Mdia.Mdhd.Timescale
			}
		}
		units := roundedUnits(-shift, scale)
		for i := range gs {
			assert.Equal(t, int64(ws[i].DecodeTime)+units, int64(gs[i].DecodeTime), "track %d sample %d decode time", trex.TrackID, i)
			assert.Equal(t, ws[i].Dur, gs[i].Dur, "track %d sample %d", trex.TrackID, i)
			assert.Equal(t, ws[i].CompositionTimeOffset, gs[i].CompositionTimeOffset, "track %d sample %d", trex.TrackID, i)
			assert.Equal(t, ws[i].Flags, gs[i].Flags, "track %d sample %d", trex.TrackID, i)
			assert.True(t, bytes.Equal(ws[i].Data, gs[i].Data), "track %d sample %d bytes", trex.TrackID, i)
		}
	}
}

// roundedUnits is ns in units of 1/scale s, rounded to the nearest, halves
// up, computed exactly.
func roundedUnits(ns int64, scale uint32) int64 {
	n := new(big.Int).Mul(big.NewInt(ns), big.NewInt(int64(scale)))
	n.Add(n, big.NewInt(5e8))
	q, m := new(big.Int), new(big.Int)
	q.DivMod(n, big.NewInt(1e9), m) // Euclidean: q is the floor
	return q.Int64()
}

// checkShiftedPackets is checkPackets for a file whose decode times count
// from shift ns before the clip's start: ffprobe's times, moved back by
// shift in each stream's time base, are the input's.
func checkShiftedPackets(t *testing.T, path string, want map[uint64][]expectedSample, shift int64) {
	t.Helper()
	pkts := mediatest.Packets(t, path)
	tbs := mediatest.TimeBase(t, path)
	byStream := map[int][]mediatest.Packet{}
	for _, p := range pkts {
		byStream[p.Stream] = append(byStream[p.Stream], p)
	}
	require.Len(t, byStream, len(want))
	for stream := range len(want) {
		exp, got := want[uint64(stream+1)], byStream[stream]
		require.Len(t, got, len(exp), "stream %d", stream)
		timescale := tbs[stream]
		units := roundedUnits(shift, uint32(timescale))
		for i := range exp {
			assert.Equal(t, exp[i].size, got[i].Size, "stream %d packet %d size", stream, i)
			ptsNs := (got[i].PTS - units) * 1e9 / timescale
			assert.InDelta(t, exp[i].ptsNs, ptsNs, 1.5e6, "stream %d packet %d pts", stream, i)
			if i > 0 {
				assert.Greater(t, got[i].DTS, got[i-1].DTS, "stream %d packet %d dts", stream, i)
			}
		}
	}
}

// TestSegmentsErrors: what cannot be cut fails with a kind and a cause.
func TestSegmentsErrors(t *testing.T) {
	ctx := context.Background()
	fmp4, docs, _ := plannedFragments(t, 2, remux.FormatFMP4)
	mp4Clip, _, _ := plannedFragments(t, 2, remux.FormatMP4)
	segs, err := fmp4.Segments(nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		err  func() error
		kind kvs.Kind
		is   error
	}{
		{"a progressive clip", func() error { _, err := mp4Clip.Segments(nil); return err }, kvs.InvalidArgument, remux.ErrNotFragmented},
		{"a track the clip does not have", func() error {
			_, err := fmp4.Segments(&remux.SegmentOptions{Track: 9})
			return err
		}, kvs.ResourceNotFound, remux.ErrNoTrack},
		{"an origin after the clip's start", func() error {
			_, err := fmp4.Segments(&remux.SegmentOptions{Origin: fmp4.Origin() + 1e6})
			return err
		}, kvs.InvalidArgument, remux.ErrBeforeOrigin},
		{"the size of a fragment not in the list", func() error { _, err := segs.Size(2); return err }, kvs.ResourceNotFound, remux.ErrNoSegment},
		{"a write of a fragment not in the list", func() error { return segs.WriteSegment(ctx, io.Discard, docs, -1) }, kvs.ResourceNotFound, remux.ErrNoSegment},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			require.ErrorIs(t, err, tc.is)
			assert.Equal(t, tc.kind, kvs.KindOf(err))
		})
	}
	assert.Empty(t, segs.Spans(5))

	t.Run("a canceled write writes nothing", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var out bytes.Buffer
		assert.ErrorIs(t, segs.WriteSegment(cctx, &out, docs, 0), context.Canceled)
		assert.Zero(t, out.Len())
	})
	t.Run("a source that fails", func(t *testing.T) {
		src := failingSource{}
		err := segs.WriteSegment(ctx, io.Discard, src, 1)
		var pe *remux.PayloadError
		require.ErrorAs(t, err, &pe)
		assert.ErrorIs(t, err, errStorage)
	})
}

// failingSource is a Payloads whose store is down.
type failingSource struct{}

func (failingSource) Payload(context.Context, int, int64, int64) ([]byte, error) {
	return nil, errStorage
}

// TestSegmentWriteAllocs: writing a media segment again allocates nothing,
// with every track or one.
func TestSegmentWriteAllocs(t *testing.T) {
	pc, docs, _ := plannedFragments(t, 3, remux.FormatFMP4)
	for _, track := range []uint32{0, 1, 2} {
		segs, err := pc.Segments(&remux.SegmentOptions{Track: track, NoDuration: true})
		require.NoError(t, err)
		var src remux.Payloads = docs
		write := func() { require.NoError(t, segs.WriteSegment(context.Background(), io.Discard, src, 1)) }
		write()
		assert.Zero(t, testing.AllocsPerRun(20, write), "track %d", track)
	}
}

// BenchmarkWriteSegment measures writing one media segment (a 2 s fragment
// of 20 KB video frames and AAC) from documents in memory, on the epoch's
// time line, with every track and with video alone. The bytes are the
// segment's.
func BenchmarkWriteSegment(b *testing.B) {
	pc, docs, _ := plannedFragments(b, 3, remux.FormatFMP4)
	for _, tc := range []struct {
		name  string
		track uint32
	}{{"all", 0}, {"video", 1}, {"audio", 2}} {
		b.Run(tc.name, func(b *testing.B) {
			segs, err := pc.Segments(&remux.SegmentOptions{Track: tc.track, NoDuration: true})
			require.NoError(b, err)
			size, err := segs.Size(1)
			require.NoError(b, err)
			var src remux.Payloads = docs
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(size)
			for b.Loop() {
				if err := segs.WriteSegment(ctx, io.Discard, src, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
