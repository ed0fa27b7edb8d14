package mp4

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
)

// syntheticIndex is an index of n fragments of the synthetic tracks.
func syntheticIndex(n int) *Index {
	idx := &Index{Duration: 2000, ReferenceID: 1, Timescale: 90000, EarliestPresentationTime: 7200}
	for i := range n {
		idx.Fragments = append(idx.Fragments, IndexEntry{Size: int64(1000 + i), Duration: 180000, StartsWithSAP: i%2 == 0})
	}
	return idx
}

// indexedInit is what NewIndexedWriter's WriteInit writes.
func indexedInit(t *testing.T, tracks []Track, idx *Index) []byte {
	var b bytes.Buffer
	w, err := NewIndexedWriter(&b, tracks, idx)
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	return b.Bytes()
}

// TestReservedHeader: in room sized by ReservedHeaderSize for at least the
// index's fragments, the header is NewIndexedWriter's init segment with a
// free box between the moov and the sidx; exactly its size needs no free
// box; anything in between or below is ErrNoRoom.
func TestReservedHeader(t *testing.T) {
	tracks := syntheticTracks()
	for _, tc := range []struct {
		name      string
		frags     int
		roomFor   int // fragments ReservedHeaderSize is asked for
		extra     int // bytes added to that room
		wantFree  int // size of the free box; 0: none
		wantNoFit bool
	}{
		{name: "room for as many", frags: 5, roomFor: 5, wantFree: 8},
		{name: "room for more", frags: 5, roomFor: 80, wantFree: 8 + 12*75},
		{name: "none", frags: 0, roomFor: 3, wantFree: 8 + 36},
		{name: "exactly the header", frags: 5, roomFor: 5, extra: -8, wantFree: 0},
		{name: "a byte more than the header", frags: 5, roomFor: 5, extra: -7, wantNoFit: true},
		{name: "seven bytes more", frags: 5, roomFor: 5, extra: -1, wantNoFit: true},
		{name: "one fragment too many", frags: 6, roomFor: 5, wantNoFit: true},
		{name: "many too many", frags: 500, roomFor: 5, wantNoFit: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := syntheticIndex(tc.frags)
			room, err := ReservedHeaderSize(tracks, tc.roomFor)
			require.NoError(t, err)
			room += tc.extra
			h, err := ReservedHeader(tracks, idx, room)
			if tc.wantNoFit {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrNoRoom)
				assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))
				return
			}
			require.NoError(t, err)
			require.Len(t, h, room)
			want := indexedInit(t, tracks, idx)
			sidx := sidxSize(len(idx.Fragments))
			if tc.wantFree == 0 {
				assert.Equal(t, want, h)
				return
			}
			at := len(want) - sidx
			assert.Equal(t, want[:at], h[:at], "ftyp and moov")
			typ, size := boxAt(h[at:])
			assert.Equal(t, "free", typ)
			assert.Equal(t, tc.wantFree, size)
			assert.Equal(t, want[at:], h[at+size:], "the sidx ends the room")
			assert.Equal(t, []string{"ftyp 32", topLevelBoxes(want)[1], "free " + strconv.Itoa(size), topLevelBoxes(want)[2]}, topLevelBoxes(h))
		})
	}
}

func TestReservedHeaderSizeErrors(t *testing.T) {
	_, err := ReservedHeaderSize(syntheticTracks(), -1)
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))
	_, err = ReservedHeaderSize(syntheticTracks(), 1<<16)
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))
	_, err = ReservedHeaderSize(nil, 1)
	assert.ErrorIs(t, err, ErrInvalidTrack)
	_, err = ReservedHeader(nil, syntheticIndex(1), 1000)
	assert.ErrorIs(t, err, ErrInvalidTrack)
}

// TestOnePassLayout writes real fragments behind reserved room with SkipInit and
// the header in front afterwards, as a one-pass clip does: the file
// decodes with ffmpeg, and without its free box it is byte for byte what
// NewIndexedWriter writes in one go.
func TestOnePassLayout(t *testing.T) {
	// The KVS producer sample frames, a fragment per GOP.
	c := writeClip(t, clipConfigs[0])
	tracks := c.tracks
	var frags []*Fragment
	for i := range c.fragments {
		frags = append(frags, &c.fragments[i])
	}
	// The index of the fragments, measured as the planned clip does.
	var sizes []int64
	{
		var count bytes.Buffer
		w, err := NewWriter(&count, tracks)
		require.NoError(t, err)
		w.SkipInit()
		for _, f := range frags {
			before := w.BytesWritten()
			require.NoError(t, w.WriteFragment(f))
			sizes = append(sizes, w.BytesWritten()-before)
		}
	}
	idx := &Index{Duration: 100, ReferenceID: 1, Timescale: 90000}
	for _, s := range sizes {
		idx.Fragments = append(idx.Fragments, IndexEntry{Size: s, Duration: 10800, StartsWithSAP: true})
	}

	// In one go.
	var whole bytes.Buffer
	w, err := NewIndexedWriter(&whole, tracks, idx)
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())
	for _, f := range frags {
		require.NoError(t, w.WriteFragment(f))
	}

	// In one pass, into a file.
	path := filepath.Join(t.TempDir(), "one.mp4")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	room, err := ReservedHeaderSize(tracks, 10)
	require.NoError(t, err)
	_, err = f.Seek(int64(room), io.SeekStart)
	require.NoError(t, err)
	fw, err := NewWriter(f, tracks)
	require.NoError(t, err)
	fw.SkipInit()
	for _, fr := range frags {
		require.NoError(t, fw.WriteFragment(fr))
	}
	require.NoError(t, fw.Flush())
	h, err := ReservedHeader(tracks, idx, room)
	require.NoError(t, err)
	_, err = f.WriteAt(h, 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	free := bytes.Index(got, []byte("free")) - 4
	require.Positive(t, free)
	_, size := boxAt(got[free:])
	stripped := append(append([]byte(nil), got[:free]...), got[free+size:]...)
	assert.Equal(t, whole.Bytes(), stripped)
	out, ok := mediatest.Decode(t, path)
	assert.True(t, ok, out)
	assert.Empty(t, out)
}

// SkipInit only lifts the order check: the fragments come out as they do
// after WriteInit.
func TestSkipInit(t *testing.T) {
	var a, b bytes.Buffer
	wa, err := NewWriter(&a, syntheticTracks())
	require.NoError(t, err)
	require.NoError(t, wa.WriteInit())
	init := a.Len()
	require.NoError(t, wa.WriteFragment(syntheticFragment()))
	wb, err := NewWriter(&b, syntheticTracks())
	require.NoError(t, err)
	wb.SkipInit()
	require.NoError(t, wb.WriteFragment(syntheticFragment()))
	assert.Equal(t, a.Bytes()[init:], b.Bytes())
	assert.True(t, errors.Is(wb.WriteInit(), ErrWriteOrder), "the init counts as written")
}
