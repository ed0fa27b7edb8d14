package ts

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/asticode/go-astits"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// fixtures are the committed recordings MPEG-TS sessions carry: H.264 or
// H.265 video with AAC audio.
var fixtures = []string{
	"h264-aac-160x120.getmedia.mkv",
	"h264-audio-first-aac44k-mono.getmedia.mkv",
	"h264-baseline-aac16k-mono.getmedia.mkv",
	"h264-high-bpyramid-aac48k-mono.getmedia.mkv",
	"h264-main-aac44k-stereo.getmedia.mkv",
	"h264-vfr-aac48k-stereo.getmedia.mkv",
	"hevc-main10-174x142-aac16k-stereo.getmedia.mkv",
}

func fragments(tb testing.TB, name string) []*mkv.Fragment {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", name))
	require.NoError(tb, err)
	var out []*mkv.Fragment
	rd := mkv.NewBytesReader(raw)
	for {
		f, err := rd.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(tb, err)
		out = append(out, f.Clone())
	}
}

// segment writes f as a TS segment.
func segment(tb testing.TB, f *mkv.Fragment) ([]byte, []Sample) {
	tb.Helper()
	tracks, samples, err := FromFragment(f)
	require.NoError(tb, err)
	var b bytes.Buffer
	w, err := NewWriter(context.Background(), &b, tracks)
	require.NoError(tb, err)
	for i := range samples {
		require.NoError(tb, w.WriteSample(&samples[i]))
	}
	return b.Bytes(), samples
}

// TestSegmentsDemux writes every fragment of every fixture and reads it
// back with go-astits's demuxer: one PES per frame, on the right PID,
// with its times, and every video frame in Annex-B behind an AUD.
func TestSegmentsDemux(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			for _, f := range fragments(t, name) {
				seg, samples := segment(t, f)
				require.Zero(t, len(seg)%188, "whole TS packets")
				dmx := astits.NewDemuxer(context.Background(), bytes.NewReader(seg))
				var got []Sample
				for {
					d, err := dmx.NextData()
					if errors.Is(err, astits.ErrNoMorePackets) {
						break
					}
					require.NoError(t, err)
					if d.PES == nil {
						continue
					}
					s := Sample{Track: int(d.PID - firstPID), PTS: d.PES.Header.OptionalHeader.PTS.Base, Data: d.PES.Data}
					s.DTS = s.PTS
					if d.PES.Header.OptionalHeader.DTS != nil {
						s.DTS = d.PES.Header.OptionalHeader.DTS.Base
					}
					got = append(got, s)
				}
				// The demuxer hands a PES on when the next one of its
				// stream begins, so streams are compared one by one.
				require.Len(t, got, len(samples))
				for track := range 2 {
					var want, have []Sample
					for i := range samples {
						if samples[i].Track == track {
							want = append(want, samples[i])
						}
						if got[i].Track == track {
							have = append(have, got[i])
						}
					}
					require.Len(t, have, len(want))
					for i, s := range want {
						g := have[i]
						assert.Equal(t, s.PTS%ptsWrap, g.PTS)
						assert.Equal(t, s.DTS%ptsWrap, g.DTS)
						assert.LessOrEqual(t, s.DTS, s.PTS)
						if track == 0 {
							assert.True(t, bytes.HasPrefix(g.Data, audH264) || bytes.HasPrefix(g.Data, audH265))
						} else {
							assert.Equal(t, []byte{0xFF, 0xF1}, g.Data[:2], "ADTS sync")
							assert.Equal(t, s.Data, g.Data[adtsHeaderSize:])
						}
					}
				}
			}
		})
	}
}

func TestRefusesG711(t *testing.T) {
	f := fragments(t, "h264-174x142-alaw.getmedia.mkv")[0]
	_, _, err := FromFragment(f)
	assert.Equal(t, kvs.UnsupportedStreamMediaType, kvs.KindOf(err))
}

func TestADTSBounds(t *testing.T) {
	tr := &Track{Codec: AAC, ObjectType: 2, FreqIndex: 3, ChannelConfig: 2}
	_, err := appendADTS(nil, tr, make([]byte, maxADTSFrame+1))
	assert.ErrorIs(t, err, ErrFrame)
	b, err := appendADTS(nil, tr, make([]byte, 10))
	require.NoError(t, err)
	assert.Equal(t, 17, int(b[3]&3)<<11|int(b[4])<<3|int(b[5])>>5, "frame length counts the header")
}

// BenchmarkWriter writes the segments of a recording: bytes are the
// frames' bytes in.
func BenchmarkWriter(b *testing.B) {
	frags := fragments(b, "h264-main-aac44k-stereo.getmedia.mkv")
	type seg struct {
		tracks  []Track
		samples []Sample
	}
	var segs []seg
	var n int64
	for _, f := range frags {
		tr, s, err := FromFragment(f)
		require.NoError(b, err)
		segs = append(segs, seg{tr, s})
		for _, x := range s {
			n += int64(len(x.Data))
		}
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, sg := range segs {
			w, err := NewWriter(context.Background(), io.Discard, sg.tracks)
			if err != nil {
				b.Fatal(err)
			}
			for i := range sg.samples {
				if err := w.WriteSample(&sg.samples[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// FuzzFragment feeds fragment documents, seeded with the fixtures and
// mutated by the fuzzer (mostly inside frames, which are most of their
// bytes), through FromFragment and the Writer: no panic, and a refusal
// is a KVS error kind or ErrFrame.
func FuzzFragment(f *testing.F) {
	for _, name := range fixtures {
		raw, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", name))
		require.NoError(f, err)
		f.Add(raw[:min(len(raw), 4<<10)])
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		frag, err := mkv.NewBytesReader(doc).Next()
		if err != nil {
			return
		}
		tracks, samples, err := FromFragment(frag)
		if err != nil {
			require.NotEqual(t, kvs.Unknown, kvs.KindOf(err), "%v", err)
			return
		}
		w, err := NewWriter(context.Background(), io.Discard, tracks)
		if err != nil {
			return
		}
		for i := range samples {
			if err := w.WriteSample(&samples[i]); err != nil {
				require.ErrorIs(t, err, ErrFrame)
				return
			}
		}
	})
}

func TestAnnexB(t *testing.T) {
	sps, pps := []byte{0x67, 1, 2}, []byte{0x68, 3}
	cases := []struct {
		name  string
		track Track
		s     Sample
		want  []byte
		err   error
	}{
		{"key frame, 4-byte lengths", Track{Codec: H264, LengthSize: 4, ParamSets: [][]byte{sps, pps}},
			Sample{Key: true, Data: []byte{0, 0, 0, 2, 0x65, 9}},
			[]byte{0, 0, 0, 1, 9, 0xF0, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 9}, nil},
		{"delta frame, 2-byte lengths, two NAL units", Track{Codec: H264, LengthSize: 2, ParamSets: [][]byte{sps}},
			Sample{Data: []byte{0, 1, 0x41, 0, 1, 0x42}},
			[]byte{0, 0, 0, 1, 9, 0xF0, 0, 0, 0, 1, 0x41, 0, 0, 0, 1, 0x42}, nil},
		{"H.265 AUD", Track{Codec: H265, LengthSize: 1}, Sample{Data: []byte{1, 0x02}},
			[]byte{0, 0, 0, 1, 0x46, 1, 0x50, 0, 0, 0, 1, 2}, nil},
		{"Annex-B passes", Track{Codec: H264}, Sample{Data: []byte{0, 0, 1, 0x41}},
			[]byte{0, 0, 0, 1, 9, 0xF0, 0, 0, 1, 0x41}, nil},
		{"length past the frame", Track{Codec: H264, LengthSize: 4}, Sample{Data: []byte{0, 0, 0, 9, 1}}, nil, ErrFrame},
		{"truncated length", Track{Codec: H264, LengthSize: 4}, Sample{Data: []byte{0, 0}}, nil, ErrFrame},
		{"bad length size", Track{Codec: H264, LengthSize: 3}, Sample{Data: []byte{0, 0, 1, 0}}, nil, ErrFrame},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := appendAnnexB(nil, &c.track, &c.s)
			if c.err != nil {
				assert.ErrorIs(t, err, c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}
