package mp4

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
)

func TestNewWriterErrors(t *testing.T) {
	video := func(mod func(c *codec.Track)) []Track {
		tr := syntheticTracks()[:1]
		c := *tr[0].Codec
		avcCopy := *c.AVC
		c.AVC = &avcCopy
		mod(&c)
		tr[0].Codec = &c
		return tr
	}
	audio := func(mod func(c *codec.Track)) []Track {
		tr := syntheticTracks()[1:]
		c := *tr[0].Codec
		mod(&c)
		tr[0].Codec = &c
		return tr
	}
	tests := []struct {
		name   string
		tracks []Track
		kind   kvs.Kind
		cause  error
	}{
		{"no tracks", nil, kvs.InvalidArgument, ErrInvalidTrack},
		{"zero ID", []Track{{ID: 0, Timescale: 1000, Codec: syntheticTracks()[0].Codec}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"duplicate IDs", func() []Track {
			tr := syntheticTracks()
			tr[1].ID = tr[0].ID
			return tr
		}(), kvs.InvalidArgument, ErrInvalidTrack},
		{"zero timescale", []Track{{ID: 1, Codec: syntheticTracks()[0].Codec}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"no codec", []Track{{ID: 1, Timescale: 1000}}, kvs.InvalidArgument, ErrInvalidTrack},
		{"unknown codec", video(func(c *codec.Track) { c.SampleEntry = "vp09" }), kvs.UnsupportedStreamMediaType, ErrUnsupportedCodec},
		{"avc1 on audio track", video(func(c *codec.Track) { c.Kind = codec.Audio }), kvs.InvalidArgument, ErrInvalidTrack},
		{"avc1 without size", video(func(c *codec.Track) { c.Width = 0 }), kvs.InvalidArgument, ErrInvalidTrack},
		{"avc1 without record", video(func(c *codec.Track) { c.AVC.Record = nil }), kvs.InvalidArgument, ErrInvalidTrack},
		{"avc1 truncated record", video(func(c *codec.Track) { c.AVC.Record = c.AVC.Record[:20] }), kvs.InvalidArgument, ErrInvalidTrack},
		{"avc1 2-byte lengths", video(func(c *codec.Track) {
			c.AVC.Record = bytes.Clone(c.AVC.Record)
			c.AVC.Record[4] = 0xfd
		}), kvs.InvalidArgument, ErrInvalidTrack},
		{"mp4a without ASC", audio(func(c *codec.Track) { c.AAC = nil }), kvs.InvalidArgument, ErrInvalidTrack},
		{"mp4a ASC too long", audio(func(c *codec.Track) { c.AAC = &codec.AACConfig{Config: make([]byte, 105)} }), kvs.InvalidArgument, ErrInvalidTrack},
		{"mp4a without rate", audio(func(c *codec.Track) { c.SampleRate = 0 }), kvs.InvalidArgument, ErrInvalidTrack},
		{"mp4a without channels", audio(func(c *codec.Track) { c.Channels = 0 }), kvs.InvalidArgument, ErrInvalidTrack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, tt.tracks)
			require.Error(t, err)
			assert.Nil(t, w)
			assert.ErrorIs(t, err, tt.cause)
			assert.Equal(t, tt.kind, kvs.KindOf(err), "%v", err)
		})
	}
}

func TestWriteFragmentErrors(t *testing.T) {
	one := []Sample{{Data: []byte{1}, Duration: 1, Sync: true}}
	// 33 references to one 64 MiB slice make a 2.1 GB fragment without
	// 2.1 GB of memory.
	big := make([]byte, 64<<20)
	var huge []Sample
	for range 33 {
		huge = append(huge, Sample{Data: big, Duration: 1})
	}
	tests := []struct {
		name  string
		frag  Fragment
		cause error
	}{
		{"unknown track", Fragment{Tracks: []TrackRun{{TrackID: 9, Samples: one}}}, ErrInvalidFragment},
		{"track twice", Fragment{Tracks: []TrackRun{{TrackID: 1, Samples: one}, {TrackID: 1, Samples: one}}}, ErrInvalidFragment},
		{"empty sample", Fragment{Tracks: []TrackRun{{TrackID: 2, Samples: []Sample{{Data: []byte{1}}, {Data: nil}}}}}, ErrInvalidFragment},
		{"sample description 2", Fragment{Tracks: []TrackRun{{TrackID: 1, SampleDescriptionIndex: 2, Samples: one}}}, ErrInvalidFragment},
		{"too large", Fragment{Tracks: []TrackRun{{TrackID: 1, Samples: huge}}}, ErrFragmentTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			w, err := NewWriter(&out, syntheticTracks())
			require.NoError(t, err)
			require.NoError(t, w.WriteInit())
			before := w.BytesWritten()
			err = w.WriteFragment(&tt.frag)
			assert.ErrorIs(t, err, tt.cause)
			assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err), "%v", err)
			// Nothing was written and the writer still works.
			assert.Equal(t, before, w.BytesWritten())
			require.NoError(t, w.WriteFragment(syntheticFragment()))
			require.NoError(t, w.Flush())
		})
	}
}

func TestCallOrder(t *testing.T) {
	w, err := NewWriter(io.Discard, syntheticTracks())
	require.NoError(t, err)
	err = w.WriteFragment(syntheticFragment())
	assert.ErrorIs(t, err, ErrWriteOrder)
	require.NoError(t, w.WriteInit())
	assert.ErrorIs(t, w.WriteInit(), ErrWriteOrder)
	require.NoError(t, w.WriteFragment(syntheticFragment()))
}

// failWriter accepts ok bytes, then fails every write.
type failWriter struct {
	ok  int
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) <= f.ok {
		f.ok -= len(p)
		return len(p), nil
	}
	n := f.ok
	f.ok = 0
	return n, f.err
}

func TestWriteErrorIsStickyAndUnwrapped(t *testing.T) {
	sinkErr := errors.New("disk full")
	probe, err := NewWriter(io.Discard, syntheticTracks())
	require.NoError(t, err)
	initLen := len(probe.init)
	for _, tt := range []struct {
		name string
		ok   int
		big  bool // a large payload fails on its own write
	}{
		{"at WriteInit", 100, false},
		{"inside WriteFragment", initLen + 100, false},
		{"large payload", initLen + 100, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWriter(&failWriter{ok: tt.ok, err: sinkErr}, syntheticTracks())
			require.NoError(t, err)
			if tt.ok < initLen {
				require.Equal(t, sinkErr, w.WriteInit())
			} else {
				require.NoError(t, w.WriteInit())
				f := syntheticFragment()
				if tt.big {
					f.Tracks[0].Samples[0].Data = make([]byte, 64<<10)
				}
				// Each fragment is handed to the sink before
				// WriteFragment returns, so its error shows there.
				require.Equal(t, sinkErr, w.WriteFragment(f))
			}
			// Sticky, and the very error the sink returned.
			assert.Equal(t, sinkErr, w.WriteFragment(syntheticFragment()))
			assert.Equal(t, sinkErr, w.Flush())
			assert.Equal(t, sinkErr, w.WriteInit())
		})
	}
}
