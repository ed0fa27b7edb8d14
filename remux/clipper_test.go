package remux_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// testAvcC is the avcC of the project's own Baseline recording (testdata/gen),
// for synthetic fragments whose frames the engine frames but never decodes.
var testAvcC = func() []byte {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-baseline-aac16k-mono.getmedia.mkv"))
	if err != nil {
		return nil // the tests that need it fail with MissingCodecPrivateData
	}
	f, err := mkv.NewBytesReader(data).Next()
	if err != nil {
		return nil
	}
	return f.Header.Tracks[0].CodecPrivate
}()

// testASC is AAC-LC, 48 kHz, stereo.
var testASC = []byte{0x11, 0x90}

func testHeader(audio bool) *mkv.Header {
	h := &mkv.Header{TimecodeScale: 1_000_000, Tracks: []mkv.Track{
		{Number: 1, Type: mkv.TrackTypeVideo, CodecID: "V_MPEG4/ISO/AVC", CodecPrivate: testAvcC, PixelWidth: 16, PixelHeight: 16},
	}}
	if audio {
		h.Tracks = append(h.Tracks, mkv.Track{Number: 2, Type: mkv.TrackTypeAudio, CodecID: "A_AAC", CodecPrivate: testASC, SamplingFrequency: 48000, Channels: 2})
	}
	return h
}

// frame is a one-NAL AVCC frame of n payload bytes.
func frame(n int, idr bool) []byte {
	t := byte(0x41)
	if idr {
		t = 0x65
	}
	b := []byte{0, 0, byte(n >> 8), byte(n), t}
	return append(b, make([]byte, n-1)...)
}

// fragment builds a fragment at producer time ms with video frames every
// 40 ms and, if audio, AAC frames at their exact times rounded to ms.
func fragment(h *mkv.Header, ms int64, frames int, audio bool) *mkv.Fragment {
	f := &mkv.Fragment{Header: h, Timecode: 0, Tags: mkv.Tags{ProducerTimestamp: ms, HasProducerTimestamp: true}}
	for i := 0; i < frames; i++ {
		f.Blocks = append(f.Blocks, mkv.Block{Track: 1, Time: int64(i * 40), Keyframe: i == 0, Data: frame(100+i, i == 0)})
	}
	if audio {
		for i := 0; i*1024*1000/48000 < frames*40; i++ {
			f.Blocks = append(f.Blocks, mkv.Block{Track: 2, Time: int64(i * 1024 * 1000 / 48000), Keyframe: true, Data: []byte{0x21, byte(i)}})
		}
	}
	return f
}

func clipFragments(t *testing.T, frags ...*mkv.Fragment) (*remux.Manifest, []byte, error) {
	var out bytes.Buffer
	c := remux.NewClipper(&out, nil)
	for _, f := range frags {
		if err := c.Add(f); err != nil {
			return c.Manifest(), out.Bytes(), err
		}
	}
	man, err := c.Close()
	return man, out.Bytes(), err
}

func TestClipperRules(t *testing.T) {
	h := testHeader(true)
	other := testHeader(true)
	other.Tracks[0].CodecPrivate = append(append([]byte{}, testAvcC...), 0xFD, 0xF8, 0xF8, 0)
	videoOnly := testHeader(false)
	leading := fragment(h, 1000, 5, false)
	for i := range leading.Blocks {
		leading.Blocks[i].Keyframe = false
	}
	for _, c := range []struct {
		name     string
		frags    []*mkv.Fragment
		kind     kvs.Kind
		fragment string
	}{
		{"codec data changes", []*mkv.Fragment{fragment(h, 1000, 5, true), fragment(other, 1200, 5, true)}, kvs.InvalidCodecPrivateData, "#0"},
		{"track set changes", []*mkv.Fragment{fragment(h, 1000, 5, true), fragment(videoOnly, 1200, 5, false)}, kvs.UnsupportedStreamMediaType, "#0"},
		{"frame overruns its NAL length", []*mkv.Fragment{{Header: h, Blocks: []mkv.Block{{Track: 1, Keyframe: true, Data: []byte{0, 0, 0, 9, 0x65}, Offset: 77}}}}, kvs.InvalidMediaFrame, "#0"},
		{"missing codec private", []*mkv.Fragment{fragment(&mkv.Header{TimecodeScale: 1e6, Tracks: []mkv.Track{{Number: 1, Type: 1, CodecID: "V_MPEG4/ISO/AVC"}}}, 0, 2, false)}, kvs.MissingCodecPrivateData, "#0"},
		{"no fragments", nil, kvs.ResourceNotFound, ""},
		{"only non-key frames", []*mkv.Fragment{leading}, kvs.ResourceNotFound, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := clipFragments(t, c.frags...)
			require.Error(t, err)
			assert.Equal(t, c.kind, kvs.KindOf(err), "%v", err)
		})
	}
}

func TestClipperTiming(t *testing.T) {
	h := testHeader(true)
	first := fragment(h, 1_700_000_000_000, 10, true)
	// The first fragment starts with two non-key frames, which are dropped.
	first.Blocks = append([]mkv.Block{
		{Track: 1, Time: -80, Data: frame(50, false)}, {Track: 1, Time: -40, Data: frame(50, false)},
	}, first.Blocks...)
	second := fragment(h, 1_700_000_000_400, 10, true) // follows at once
	third := fragment(h, 1_700_000_005_000, 10, true)  // after a 4.2 s gap
	man, out, err := clipFragments(t, first, second, third)
	require.NoError(t, err)
	assert.Equal(t, 2, man.Fragments[0].DroppedFrames)
	assert.Equal(t, remux.ReasonLeadingNonKey, man.Fragments[0].Reason)
	assert.True(t, man.Fragments[0].Included)
	require.Len(t, man.Tracks, 2)
	assert.Equal(t, 30, man.Tracks[0].Samples)
	assert.InDelta(t, 5.4, man.Tracks[0].Duration, 0.001, "gap kept: 5.0 s to the third fragment plus its 0.4 s")
	assert.Greater(t, len(out), 1000)
}

func TestClipperAfterClose(t *testing.T) {
	var out bytes.Buffer
	c := remux.NewClipper(&out, nil)
	require.NoError(t, c.Add(fragment(testHeader(false), 0, 3, false)))
	_, err := c.Close()
	require.NoError(t, err)
	assert.Error(t, c.Add(fragment(testHeader(false), 200, 3, false)))
}

// BenchmarkClip measures the engine end to end on synthetic fragments of
// 2 s of 25 fps video with 20 KB frames and AAC.
func BenchmarkClip(b *testing.B) {
	h := testHeader(true)
	var frags []*mkv.Fragment
	var size int64
	for i := 0; i < 10; i++ {
		f := fragment(h, int64(i)*2000, 50, true)
		for j := range f.Blocks {
			if f.Blocks[j].Track == 1 {
				f.Blocks[j].Data = frame(20_000, j == 0)
			}
			size += int64(len(f.Blocks[j].Data))
		}
		frags = append(frags, f)
	}
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		c := remux.NewClipper(io.Discard, nil)
		for _, f := range frags {
			if err := c.Add(f); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestClipperAllocs: once warmed up, a fragment costs a fixed number of
// allocations (its manifest entry), none per sample.
func TestClipperAllocs(t *testing.T) {
	h := testHeader(true)
	small, big := fragment(h, 0, 10, true), fragment(h, 0, 200, true)
	for _, f := range []*mkv.Fragment{small, big} {
		c := remux.NewClipper(io.Discard, nil)
		ms := int64(0)
		add := func() {
			f.Tags.ProducerTimestamp = ms
			ms += 10_000
			require.NoError(t, c.Add(f))
		}
		for i := 0; i < 3; i++ {
			add()
		}
		perFragment := testing.AllocsPerRun(50, add)
		assert.LessOrEqual(t, perFragment, 2.0, "%d blocks: %v allocations per fragment", len(f.Blocks), perFragment)
	}
}

// TestClipperGaps: a 4.2 s hole between the second and third fragment is
// listed in the manifest; GapsKeep keeps it on the timeline, GapsClose
// takes it out of every track.
func TestClipperGaps(t *testing.T) {
	h := testHeader(true)
	for _, mode := range []remux.GapPolicy{remux.GapsKeep, remux.GapsClose} {
		frags := []*mkv.Fragment{
			fragment(h, 1_700_000_000_000, 10, true),
			fragment(h, 1_700_000_000_400, 10, true),
			fragment(h, 1_700_000_005_000, 10, true), // 4.2 s after the second ends
			fragment(h, 1_700_000_005_400, 10, true),
		}
		for i, f := range frags {
			f.Index = i
		}
		var out bytes.Buffer
		c := remux.NewClipper(&out, &remux.Options{Gaps: mode})
		for _, f := range frags {
			require.NoError(t, c.Add(f))
		}
		man, err := c.Close()
		require.NoError(t, err)
		require.Len(t, man.Gaps, 1)
		g := man.Gaps[0]
		assert.Equal(t, "#1", g.AfterFragment)
		assert.InDelta(t, 0.8, g.At, 0.001)
		assert.InDelta(t, 4.2, g.Duration, 0.001)
		assert.Equal(t, mode == remux.GapsClose, g.Closed)
		require.Len(t, man.Tracks, 2)
		want := 5.8 // four 0.4 s fragments and the hole
		if mode == remux.GapsClose {
			want = 1.6
		}
		for _, tr := range man.Tracks {
			assert.InDelta(t, want, tr.Duration, 0.03, "track %d, mode %d", tr.ID, mode)
		}
	}
}

func TestClipperSkip(t *testing.T) {
	var out bytes.Buffer
	c := remux.NewClipper(&out, nil)
	ts := kvs.Millis(1_700_000_000_000)
	c.Skip(remux.FragmentEntry{Number: "7", Index: 0, ProducerTimestamp: &ts, Bytes: 10, Included: true, Reason: "before-start"})
	require.NoError(t, c.Add(fragment(testHeader(false), 1_700_000_002_000, 3, false)))
	man, err := c.Close()
	require.NoError(t, err)
	require.Len(t, man.Fragments, 2)
	assert.Equal(t, remux.FragmentEntry{Number: "7", ProducerTimestamp: &ts, Bytes: 10, Reason: "before-start"}, man.Fragments[0])
	assert.True(t, man.Fragments[1].Included)
	assert.NotNil(t, man.Gaps, "gaps is [] in JSON, not null")
}

// waveFormatEx is an 18-byte WAVEFORMATEX as the producer SDK writes it for
// G.711 at 8 kHz mono, quirks included (avgBytesPerSec 1000, bitsPerSample 0).
func waveFormatEx(tag uint16) []byte {
	return []byte{byte(tag), 0, 1, 0, 0x40, 0x1F, 0, 0, 0xE8, 0x03, 0, 0, 1, 0, 0, 0, 0, 0}
}

func TestProfiles(t *testing.T) {
	g711 := func(tag uint16) *mkv.Header {
		h := testHeader(false)
		h.Tracks = append(h.Tracks, mkv.Track{Number: 2, Type: mkv.TrackTypeAudio, CodecID: "A_MS/ACM", CodecPrivate: waveFormatEx(tag)})
		return h
	}
	frag := func(h *mkv.Header) *mkv.Fragment {
		f := fragment(h, 0, 10, false)
		for i := 0; i < 20; i++ { // 20 ms of G.711 each: 160 bytes
			f.Blocks = append(f.Blocks, mkv.Block{Track: 2, Time: int64(i * 20), Keyframe: true, Data: make([]byte, 160)})
		}
		return f
	}
	for _, c := range []struct {
		name    string
		h       *mkv.Header
		profile remux.Profile
		ok      bool
		codec   string
	}{
		{"alaw kvs", g711(6), remux.ProfileKVS, true, "alaw"},
		{"ulaw kvs", g711(7), remux.ProfileKVS, false, ""},
		{"ulaw extended", g711(7), remux.ProfileExtended, true, "ulaw"},
		{"aac kvs", testHeader(true), remux.ProfileKVS, true, "mp4a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := frag(c.h)
			if c.codec == "mp4a" {
				f = fragment(c.h, 0, 10, true)
			}
			var out bytes.Buffer
			man, err := remux.Clip(&out, bytes.NewReader(writeDump(t, f)), &remux.ClipOptions{Options: remux.Options{Profile: c.profile}})
			if !c.ok {
				require.Error(t, err)
				assert.Equal(t, kvs.UnsupportedStreamMediaType, kvs.KindOf(err), "%v", err)
				return
			}
			require.NoError(t, err)
			require.Len(t, man.Tracks, 2)
			assert.Equal(t, c.codec, man.Tracks[1].Codec)
			if c.codec != "mp4a" {
				assert.Equal(t, 20, man.Tracks[1].Samples)
				assert.InDelta(t, 0.4, man.Tracks[1].Duration, 0.0001, "durations from byte counts: 20 x 160 samples at 8 kHz")
			}
		})
	}
	_, err := remux.ParseProfile("bogus")
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))
}

// writeDump writes fragments as a GetMedia dump.
func writeDump(t *testing.T, frags ...*mkv.Fragment) []byte {
	var b bytes.Buffer
	w := mkv.NewWriter(&b, nil)
	for _, f := range frags {
		require.NoError(t, w.WriteFragment(f))
	}
	require.NoError(t, w.Close())
	return b.Bytes()
}
