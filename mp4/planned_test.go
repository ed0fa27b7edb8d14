package mp4

import (
	"bytes"
	"testing"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sizesOnly returns f with every sample described by its size alone.
func sizesOnly(f *Fragment) *Fragment {
	out := &Fragment{}
	for _, r := range f.Tracks {
		r.Samples = append([]Sample(nil), r.Samples...)
		for i := range r.Samples {
			r.Samples[i].Size = uint32(len(r.Samples[i].Data))
			r.Samples[i].Data = nil
		}
		out.Tracks = append(out.Tracks, r)
	}
	return out
}

// TestPlannedWriting: a fragment written as FragmentHeader's moof and the
// payloads after it, its samples described by size, is what Writer
// writes; IndexedInit is NewIndexedWriter's init; a Progressive planned
// by sizes has the header of one planned with the payloads. A Writer
// refuses samples without Data.
func TestPlannedWriting(t *testing.T) {
	tracks := syntheticTracks()
	f := syntheticFragment()
	idx := &Index{Duration: 1000, ReferenceID: 1, Timescale: 90000, Fragments: []IndexEntry{{Size: 100, Duration: 90000, StartsWithSAP: true}}}

	var want bytes.Buffer
	w, err := NewIndexedWriter(&want, tracks, idx)
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	require.NoError(t, w.WriteFragment(f))
	require.NoError(t, w.WriteFragment(f))

	var got bytes.Buffer
	init, err := IndexedInit(tracks, idx)
	require.NoError(t, err)
	fh, err := NewFragmentHeader(tracks)
	require.NoError(t, err)
	got.Write(init)
	for seq := uint32(1); seq <= 2; seq++ {
		head, payload, err := fh.Plan(sizesOnly(f))
		require.NoError(t, err)
		moof := fh.Append(nil, seq)
		assert.Len(t, moof, head)
		got.Write(moof)
		var n int64
		for _, r := range f.Tracks {
			for _, s := range r.Samples {
				got.Write(s.Data)
				n += int64(len(s.Data))
			}
		}
		assert.Equal(t, n, payload)
	}
	assert.Equal(t, want.Bytes(), got.Bytes())

	assert.ErrorIs(t, w.WriteFragment(sizesOnly(f)), ErrInvalidFragment, "a Writer needs the payloads")

	withData, err := NewProgressive(tracks)
	require.NoError(t, err)
	require.NoError(t, withData.Plan(f))
	bySize, err := NewProgressive(tracks)
	require.NoError(t, err)
	require.NoError(t, bySize.Plan(sizesOnly(f)))
	a, err := withData.Header()
	require.NoError(t, err)
	b, err := bySize.Header()
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

// TestProgressiveEmptyTrack: a track no fragment has a sample of (a clip
// of video fragments without a key frame keeps only the audio) is left out
// of the moov, whichever track it is; the others keep their IDs, and mp4ff
// reads the file as a progressive one.
func TestProgressiveEmptyTrack(t *testing.T) {
	for _, tc := range []struct {
		name  string
		empty uint32 // the track ID without samples
	}{
		{"video empty", 1},
		{"audio empty", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := syntheticFragment()
			var runs []TrackRun
			for _, r := range f.Tracks {
				if r.TrackID != tc.empty {
					runs = append(runs, r)
				}
			}
			f.Tracks = runs
			p, err := NewProgressive(syntheticTracks())
			require.NoError(t, err)
			require.NoError(t, p.Plan(f))
			var out bytes.Buffer
			require.NoError(t, p.WriteHeader(&out))
			require.NoError(t, p.WriteFragment(f))
			require.NoError(t, p.Close())
			file, err := mp4ff.DecodeFile(bytes.NewReader(out.Bytes()))
			require.NoError(t, err)
			require.False(t, file.IsFragmented())
			require.Len(t, file.Moov.Traks, 1)
			kept := file.Moov.Traks[0]
			assert.Equal(t, 3-tc.empty, kept.Tkhd.TrackID)
			assert.EqualValues(t, len(runs[0].Samples), kept.Mdia.Minf.Stbl.Stsz.SampleNumber)
		})
	}
}

// TestInitSegment: an init segment without a duration is what Writer's
// WriteInit writes; with one, it is IndexedInit's up to the sidx, its mehd
// the duration as mp4ff reads it; with some tracks, it describes those
// alone, each as with all. Invalid tracks are refused as NewWriter
// refuses them.
func TestInitSegment(t *testing.T) {
	tracks := syntheticTracks()
	var plain bytes.Buffer
	w, err := NewWriter(&plain, tracks)
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	indexed, err := IndexedInit(tracks, &Index{Duration: 4321, ReferenceID: 1, Timescale: 90000, Fragments: []IndexEntry{{Size: 100, Duration: 1}}})
	require.NoError(t, err)
	full, err := mp4ff.DecodeFile(bytes.NewReader(plain.Bytes()))
	require.NoError(t, err)

	for _, tc := range []struct {
		name     string
		tracks   []Track
		duration uint64
		want     []byte // the bytes, when known
	}{
		{"every track, no duration", tracks, 0, plain.Bytes()},
		{"every track, a duration", tracks, 4321, indexed[:len(indexed)-sidxSize(1)]},
		{"video", tracks[:1], 0, nil},
		{"audio, a duration", tracks[1:], 1 << 40, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			init, err := InitSegment(tc.tracks, tc.duration)
			require.NoError(t, err)
			if tc.want != nil {
				assert.Equal(t, tc.want, init)
			}
			f, err := mp4ff.DecodeFile(bytes.NewReader(init))
			require.NoError(t, err)
			moov := f.Init.Moov
			require.Len(t, moov.Traks, len(tc.tracks))
			require.Len(t, moov.Mvex.Trexs, len(tc.tracks))
			for i := range tc.tracks {
				id := tc.tracks[i].ID
				assert.Equal(t, id, moov.Mvex.Trexs[i].TrackID)
				var a, b bytes.Buffer
				require.NoError(t, moov.Traks[i].Encode(&a))
				require.NoError(t, full.Init.Moov.Traks[id-1].Encode(&b))
				assert.Equal(t, b.Bytes(), a.Bytes(), "track %d as described with every track", id)
			}
			assert.Greater(t, moov.Mvhd.NextTrackID, tc.tracks[len(tc.tracks)-1].ID)
			if tc.duration == 0 {
				assert.Nil(t, moov.Mvex.Mehd)
				return
			}
			require.NotNil(t, moov.Mvex.Mehd)
			assert.Same(t, moov.Mvex.Mehd, moov.Mvex.Children[0], "mehd comes first")
			assert.EqualValues(t, tc.duration, moov.Mvex.Mehd.FragmentDuration)
		})
	}

	_, err = InitSegment(nil, 0)
	assert.ErrorIs(t, err, ErrInvalidTrack)
	_, err = InitSegment([]Track{tracks[0], tracks[0]}, 0)
	assert.ErrorIs(t, err, ErrInvalidTrack)
}
