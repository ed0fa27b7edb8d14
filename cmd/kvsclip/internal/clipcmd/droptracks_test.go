package clipcmd

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// TestTrackFilter: unsupported audio and audio beyond the first go, their
// blocks with them; a header with nothing to drop is kept as it is (the
// clipper tells an unchanged header by its pointer); an inactive filter
// changes nothing but still knows what it would drop.
func TestTrackFilter(t *testing.T) {
	aac := []byte{0x12, 0x10} // AudioSpecificConfig: AAC LC, 44.1 kHz, stereo
	mixed := &mkv.Header{TimecodeScale: 1e6, Tracks: []mkv.Track{
		{Number: 1, Type: mkv.TrackTypeVideo, CodecID: "V_MPEG4/ISO/AVC"},
		{Number: 2, Type: mkv.TrackTypeAudio, CodecID: "A_OPUS"},
		{Number: 3, Type: mkv.TrackTypeAudio, CodecID: "A_AAC", CodecPrivate: aac},
		{Number: 4, Type: mkv.TrackTypeAudio, CodecID: "A_AAC", CodecPrivate: aac},
	}}
	plain := &mkv.Header{TimecodeScale: 1e6, Tracks: mixed.Tracks[:1]}
	blocks := func() []mkv.Block {
		return []mkv.Block{{Track: 1}, {Track: 2}, {Track: 3}, {Track: 4}, {Track: 1}}
	}
	tracksOf := func(f *mkv.Fragment) (nums []uint64) {
		for _, b := range f.Blocks {
			nums = append(nums, b.Track)
		}
		return nums
	}
	want := []remux.DroppedTrack{
		{Number: 2, CodecID: "A_OPUS", Codec: "Opus (A_OPUS)", Reason: "unsupported codec"},
		{Number: 4, CodecID: "A_AAC", Codec: "AAC (A_AAC)", Reason: "a clip has one audio track"},
	}

	tf := newTrackFilter(true)
	f := &mkv.Fragment{Header: mixed, Blocks: blocks()}
	tf.apply(f)
	assert.Equal(t, []uint64{1, 3, 1}, tracksOf(f))
	require.Len(t, f.Header.Tracks, 2)
	assert.Equal(t, []uint64{1, 3}, []uint64{f.Header.Tracks[0].Number, f.Header.Tracks[1].Number})
	assert.Len(t, mixed.Tracks, 4, "the input's header is left alone")
	g := &mkv.Fragment{Header: mixed, Blocks: blocks()}
	tf.apply(g)
	assert.Same(t, f.Header, g.Header, "one filtered header per input header")
	p := &mkv.Fragment{Header: plain, Blocks: []mkv.Block{{Track: 1}}}
	tf.apply(p)
	assert.Same(t, plain, p.Header)
	assert.Equal(t, want, tf.dropped, "each track once")

	off := newTrackFilter(false)
	h := &mkv.Fragment{Header: mixed, Blocks: blocks()}
	off.apply(h)
	assert.Same(t, mixed, h.Header)
	assert.Equal(t, []uint64{1, 2, 3, 4, 1}, tracksOf(h))
	assert.Equal(t, want, off.dropped)
}
