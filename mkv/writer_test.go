package mkv_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/kvsfixture"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// The reader's tests may declare -update; this flag has its own name.
var updateWriterGolden = flag.Bool("update-writer", false, "rewrite mkv/testdata/writer/*.golden from the Writer's output")

// tinyHeader and tinyFragment are a small synthetic fragment with every
// feature the Writer has: two tracks, a SimpleBlock of each, a non-key
// BlockGroup with a duration, and all tag kinds.
func tinyHeader() *mkv.Header {
	return &mkv.Header{
		TimecodeScale: 1_000_000,
		MuxingApp:     "kvsclip test",
		WritingApp:    "kvsclip test",
		Title:         "tiny",
		Tracks: []mkv.Track{{
			Number: 1, UID: 1, Type: mkv.TrackTypeVideo, Name: "kinesis_video",
			CodecID:         "V_MPEG4/ISO/AVC",
			CodecPrivate:    []byte{0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00, 0x00, 0x01, 0x00, 0x00},
			DefaultDuration: 40_000_000,
			PixelWidth:      320, PixelHeight: 240,
		}, {
			Number: 2, UID: 2, Type: mkv.TrackTypeAudio, Name: "kinesis_audio",
			CodecID:           "A_AAC",
			CodecPrivate:      []byte{0x11, 0x90},
			SamplingFrequency: 48000, Channels: 2, BitDepth: 16,
		}},
	}
}

func tinyFragment(h *mkv.Header) *mkv.Fragment {
	return &mkv.Fragment{
		Header:   h,
		Timecode: 1000,
		Blocks: []mkv.Block{
			{Track: 1, Time: 1000, Keyframe: true, Data: []byte{0, 0, 0, 2, 0x65, 0x88}},
			{Track: 2, Time: 1005, Keyframe: true, Data: []byte{0x21, 0x10, 0x04}},
			{Track: 1, Time: 1040, Duration: 40, HasDuration: true, Data: []byte{0, 0, 0, 2, 0x41, 0x9a}},
		},
		Tags: mkv.Tags{
			FragmentNumber:       "91343852333181432392682062607743920146159169392",
			ServerTimestamp:      1511852109126,
			HasServerTimestamp:   true,
			ProducerTimestamp:    1511852108513,
			HasProducerTimestamp: true,
			MillisBehindNow:      15858,
			HasMillisBehindNow:   true,
			ContinuationToken:    "91343852333181432392682062607743920146159169392",
			EndOfFragment:        true,
			Other:                []mkv.SimpleTag{{Name: "testTag_0", Value: "testTag_0_Value"}},
		},
	}
}

func writeFragments(t testing.TB, opts mkv.WriterOptions, frags ...*mkv.Fragment) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf, &opts)
	for _, f := range frags {
		require.NoError(t, w.WriteFragment(f))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestWriterGolden(t *testing.T) {
	// elements is what ebml-go must decode and agree on: Info, Tracks,
	// the Cluster, and each Tags element (four in a GetMedia document:
	// KVS's, the producer's, the end tag and GetMedia's; three from a
	// producer).
	tests := []struct {
		name     string
		opts     mkv.WriterOptions
		elements int
	}{
		{"getmedia", mkv.WriterOptions{}, 7},
		{"getmedia_unknown_size", mkv.WriterOptions{UnknownSizeClusters: true}, 7},
		{"producer", mkv.WriterOptions{Layout: mkv.LayoutProducer}, 6},
		{"producer_unknown_size", mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := writeFragments(t, tt.opts, tinyFragment(tinyHeader()))
			path := filepath.Join("testdata", "writer", tt.name+".golden")
			if *updateWriterGolden {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./mkv -run TestWriterGolden -update-writer to create it")
			if !bytes.Equal(want, got) {
				t.Errorf("output differs from %s\ngot:\n%s\nwant:\n%s", path, hexDump(got), hexDump(want))
			}
			checkMkvinfo(t, got)
			assert.Equal(t, mkv.EBMLGoTally{Compared: tt.elements}, mkv.EBMLGoAgrees(t, got))
		})
	}
}

func hexDump(b []byte) string {
	var s strings.Builder
	for i := 0; i < len(b); i += 16 {
		fmt.Fprintf(&s, "%04x  % x\n", i, b[i:min(i+16, len(b))])
	}
	return s.String()
}

// TestWriterBytes checks the encodings the spec fixes, byte for byte.
func TestWriterBytes(t *testing.T) {
	gm := writeFragments(t, mkv.WriterOptions{}, tinyFragment(tinyHeader()))
	pr := writeFragments(t, mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true}, tinyFragment(tinyHeader()))
	tests := []struct {
		name string
		out  []byte
		want []byte
	}{
		{"GetMedia Segment unknown 8-byte size", gm, []byte{0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{"producer Segment unknown 1-byte size", pr, []byte{0x18, 0x53, 0x80, 0x67, 0xFF, 0x15, 0x49, 0xA9, 0x66}},
		{"producer Cluster unknown 1-byte size", pr, []byte{0x1F, 0x43, 0xB6, 0x75, 0xFF, 0xE7, 0x82, 0x03, 0xE8}},
		{"Tags and Tag with 4-byte sizes, no Targets", gm, []byte{0x12, 0x54, 0xC3, 0x67, 0x10, 0x00, 0x00}},
		{"timestamp with 3 decimals", gm, append([]byte{0x44, 0x87, 0x10, 0, 0, 14}, "1511852108.513"...)},
		{"millis behind now", gm, append([]byte{0x44, 0x87, 0x10, 0, 0, 5}, "15858"...)},
		{"end of fragment, empty value", pr, append(append([]byte{0x45, 0xA3, 0x10, 0, 0, byte(len(mkv.TagEndOfFragment))}, mkv.TagEndOfFragment...), 0x44, 0x87, 0x10, 0, 0, 0)},
		{"key SimpleBlock", gm, []byte{0xA3, 0x8A, 0x81, 0x00, 0x00, 0x80, 0, 0, 0, 2, 0x65, 0x88}},
		{"audio SimpleBlock at +5", gm, []byte{0xA3, 0x87, 0x82, 0x00, 0x05, 0x80, 0x21, 0x10, 0x04}},
		{"BlockGroup with duration and reference", gm, []byte{0xA0, 0x92, 0xA1, 0x8A, 0x81, 0x00, 0x28, 0x00, 0, 0, 0, 2, 0x41, 0x9A, 0x9B, 0x81, 40, 0xFB, 0x81, 0xD8}},
		{"sampling frequency as 8-byte float", gm, []byte{0xB5, 0x88, 0x40, 0xE7, 0x70, 0x00, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.True(t, bytes.Contains(tt.out, tt.want), "% x not in output", tt.want)
		})
	}
	// The tag groups in GetMedia order: KVS tags, Cluster, producer tags,
	// end of fragment, GetMedia's tags.
	order := []string{mkv.TagFragmentNumber, mkv.TagServerTimestamp, mkv.TagProducerTimestamp, "\x1F\x43\xB6\x75", "testTag_0", mkv.TagEndOfFragment, mkv.TagMillisBehindNow, mkv.TagContinuationToken}
	last := -1
	for _, s := range order {
		i := bytes.Index(gm, []byte(s))
		require.Greater(t, i, last, "%q out of order", s)
		last = i
	}
	// A producer stream carries no GetMedia-only tags.
	assert.NotContains(t, string(pr), mkv.TagMillisBehindNow)
	assert.NotContains(t, string(pr), mkv.TagContinuationToken)
}

// TestWriterEncodings checks the minimal-length size fields, integer and
// timestamp encodings at their boundaries, through what the Writer writes.
func TestWriterEncodings(t *testing.T) {
	t.Run("size fields", func(t *testing.T) {
		tests := []struct {
			n    int
			want []byte
		}{
			{1, []byte{0x81}},
			{126, []byte{0xFE}},
			{127, []byte{0x40, 0x7F}}, // 1-byte 0xFF would mean unknown size
			{16382, []byte{0x7F, 0xFE}},
			{16383, []byte{0x20, 0x3F, 0xFF}},
		}
		for _, tt := range tests {
			h := tinyHeader()
			h.Tracks[0].CodecPrivate = bytes.Repeat([]byte{0xAB}, tt.n)
			out := writeFragments(t, mkv.WriterOptions{}, tinyFragment(h))
			want := append(append([]byte{0x63, 0xA2}, tt.want...), 0xAB)
			assert.True(t, bytes.Contains(out, want), "CodecPrivate of %d bytes: want % x", tt.n, want)
		}
	})
	t.Run("ReferenceBlock and Timecode", func(t *testing.T) {
		tests := []struct {
			prev, cur int64 // times of the previous and the non-key block
			timecode  int64
			ref       []byte
			tc        []byte
		}{
			{0, 40, 0, []byte{0xFB, 0x81, 0xD8}, []byte{0xE7, 0x81, 0x00}},
			{0, 1, 0, []byte{0xFB, 0x81, 0xFF}, []byte{0xE7, 0x81, 0x00}},
			{0, 128, 0, []byte{0xFB, 0x81, 0x80}, []byte{0xE7, 0x81, 0x00}},
			{0, 129, 0, []byte{0xFB, 0x82, 0xFF, 0x7F}, []byte{0xE7, 0x81, 0x00}},
			{300, 256, 256, []byte{0xFB, 0x81, 0x2C}, []byte{0xE7, 0x82, 0x01, 0x00}},    // a B-frame refers forward
			{1000, 1000, 1000, []byte{0xFB, 0x81, 0xFF}, []byte{0xE7, 0x82, 0x03, 0xE8}}, // same time: -1
		}
		for _, tt := range tests {
			f := &mkv.Fragment{Header: tinyHeader(), Timecode: tt.timecode, Blocks: []mkv.Block{
				{Track: 1, Time: tt.prev, Keyframe: true, Data: []byte{1}},
				{Track: 2, Time: tt.cur, Data: []byte{2}}, // another track: not a reference
				{Track: 1, Time: tt.cur, HasDuration: true, Duration: 40, Data: []byte{3}},
			}}
			out := writeFragments(t, mkv.WriterOptions{}, f)
			assert.True(t, bytes.Contains(out, append([]byte{0x9B, 0x81, 40}, tt.ref...)), "ReferenceBlock %d→%d: want % x", tt.cur, tt.prev, tt.ref)
			assert.True(t, bytes.Contains(out, append([]byte{0x1F, 0x43, 0xB6, 0x75}, 0x80|byte(len(tt.tc)+7+7+2+7+3+len(tt.ref)))), "Cluster size")
			assert.True(t, bytes.Contains(out, tt.tc), "Timecode % x", tt.tc)
		}
	})
	t.Run("timestamps", func(t *testing.T) {
		tests := []struct {
			ms   int64
			want string
		}{
			{0, "0.000"},
			{5, "0.005"},
			{5000, "5.000"},
			{1511852108513, "1511852108.513"},
			{1700000000070, "1700000000.070"},
		}
		for _, tt := range tests {
			f := tinyFragment(tinyHeader())
			f.Tags = mkv.Tags{ProducerTimestamp: tt.ms, HasProducerTimestamp: true}
			out := writeFragments(t, mkv.WriterOptions{}, f)
			want := append([]byte{0x44, 0x87, 0x10, 0, 0, byte(len(tt.want))}, tt.want...)
			assert.True(t, bytes.Contains(out, want), "%d ms: want %q", tt.ms, tt.want)
			assert.Equal(t, kvs.Millis(tt.ms).String(), tt.want, "the Reader's formatter agrees")
		}
	})
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name   string
		opts   mkv.WriterOptions
		first  *mkv.Fragment // written before, must succeed
		modify func(f *mkv.Fragment)
		is     error
		msg    string
	}{
		{name: "nil header", modify: func(f *mkv.Fragment) { f.Header = nil }, is: mkv.ErrInvalidFragment, msg: "no header"},
		{name: "block too late for int16", modify: func(f *mkv.Fragment) { f.Blocks[2].Time = f.Timecode + 32768 }, is: mkv.ErrInvalidFragment, msg: "block 2 (track 1, time 33768)"},
		{name: "block too early for int16", modify: func(f *mkv.Fragment) { f.Blocks[1].Time = f.Timecode - 32769 }, is: mkv.ErrInvalidFragment, msg: "block 1 (track 2"},
		{name: "block time overflows", modify: func(f *mkv.Fragment) { f.Blocks[0].Time = -1 << 63 }, is: mkv.ErrInvalidFragment, msg: "block 0"},
		{name: "block of undeclared track", modify: func(f *mkv.Fragment) { f.Blocks[1].Track = 3 }, is: mkv.ErrUnknownTrack, msg: "block 1 (time 1005): track 3"},
		{name: "negative cluster timecode", modify: func(f *mkv.Fragment) {
			f.Timecode = -5
			for i := range f.Blocks {
				f.Blocks[i].Time = -5
			}
		}, is: mkv.ErrInvalidFragment, msg: "Cluster timecode -5"},
		{name: "timecode scale 0", modify: func(f *mkv.Fragment) { f.Header.TimecodeScale = 0 }, is: mkv.ErrInvalidFragment, msg: "TimecodeScale 0"},
		{name: "track number 0", modify: func(f *mkv.Fragment) { f.Header.Tracks[1].Number = 0 }, is: mkv.ErrInvalidFragment, msg: "track number 0"},
		{name: "duplicate track", modify: func(f *mkv.Fragment) { f.Header.Tracks[1].Number = 1 }, is: mkv.ErrInvalidFragment, msg: "declared twice"},
		{name: "fragment number not digits", modify: func(f *mkv.Fragment) { f.Tags.FragmentNumber = "12a" }, is: mkv.ErrInvalidFragment, msg: `"12a"`},
		{name: "negative producer timestamp", modify: func(f *mkv.Fragment) { f.Tags.ProducerTimestamp = -1 }, is: mkv.ErrInvalidFragment, msg: "producer timestamp -1"},
		{
			name:   "header change in producer layout",
			opts:   mkv.WriterOptions{Layout: mkv.LayoutProducer},
			first:  tinyFragment(tinyHeader()),
			modify: func(f *mkv.Fragment) { f.Header.Tracks[0].PixelWidth = 640 },
			is:     mkv.ErrHeaderChanged,
			msg:    "91343852333181432392682062607743920146159169392",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := mkv.NewWriter(&buf, &tt.opts)
			if tt.first != nil {
				require.NoError(t, w.WriteFragment(tt.first))
			}
			before := buf.Len()
			f := tinyFragment(tinyHeader())
			tt.modify(f)
			err := w.WriteFragment(f)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.is)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Equal(t, before, buf.Len(), "a refused fragment writes nothing")
			// The Writer stays usable.
			good := tinyFragment(tinyHeader())
			if tt.first != nil {
				good.Header = tt.first.Header
			}
			require.NoError(t, w.WriteFragment(good))
			require.NoError(t, w.Close())
		})
	}
	t.Run("nil fragment", func(t *testing.T) {
		assert.ErrorIs(t, mkv.NewWriter(io.Discard, nil).WriteFragment(nil), mkv.ErrInvalidFragment)
	})
}

// failWriter fails every Write after the first n bytes.
type failWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriterStickyError(t *testing.T) {
	w := mkv.NewWriter(&failWriter{n: 10}, &mkv.WriterOptions{Layout: mkv.LayoutProducer})
	err := w.WriteFragment(tinyFragment(tinyHeader()))
	require.ErrorIs(t, err, errDiskFull)
	assert.ErrorIs(t, w.WriteFragment(tinyFragment(tinyHeader())), errDiskFull)
	assert.ErrorIs(t, w.Close(), errDiskFull)
}

func TestWriterClose(t *testing.T) {
	var out bytes.Buffer
	bw := bufio.NewWriterSize(&out, 1<<20)
	w := mkv.NewWriter(bw, nil)
	require.NoError(t, w.WriteFragment(tinyFragment(tinyHeader())))
	assert.Zero(t, out.Len(), "still in the bufio.Writer")
	require.NoError(t, w.Close())
	assert.NotZero(t, out.Len(), "Close flushes")
	assert.ErrorIs(t, w.WriteFragment(tinyFragment(tinyHeader())), mkv.ErrWriterClosed)
	assert.NoError(t, w.Close(), "a second Close is harmless")

	var empty bytes.Buffer
	require.NoError(t, mkv.NewWriter(&empty, &mkv.WriterOptions{Layout: mkv.LayoutProducer}).Close())
	assert.Zero(t, empty.Len(), "no fragment, no header")
}

func TestWriterProducerHeaderOnce(t *testing.T) {
	h1, h2 := tinyHeader(), tinyHeader() // equal, different pointers
	f1, f2, f3 := tinyFragment(h1), tinyFragment(h2), tinyFragment(h1)
	f2.Timecode, f3.Timecode = 2000, 3000
	for i := range f2.Blocks {
		f2.Blocks[i].Time += 1000
		f3.Blocks[i].Time += 2000
	}
	out := writeFragments(t, mkv.WriterOptions{Layout: mkv.LayoutProducer}, f1, f2, f3)
	assert.Equal(t, 1, bytes.Count(out, []byte{0x1A, 0x45, 0xDF, 0xA3}), "EBML headers")
	assert.Equal(t, 1, bytes.Count(out, []byte{0x16, 0x54, 0xAE, 0x6B}), "Tracks")
	assert.Equal(t, 3, bytes.Count(out, []byte{0x1F, 0x43, 0xB6, 0x75}), "Clusters")
	checkMkvinfo(t, out)

	gm := writeFragments(t, mkv.WriterOptions{}, f1, f2, f3)
	assert.Equal(t, 3, bytes.Count(gm, []byte{0x1A, 0x45, 0xDF, 0xA3}), "one document per fragment")
}

// sampleFragments loads the fixture, or skips the test without the shared
// recordings (fails under CI).
func sampleFragments(t testing.TB, withAudio bool) []*mkv.Fragment {
	t.Helper()
	return kvsfixture.Fragments(t, withAudio)
}

// checkMkvinfo runs mkvinfo on one Matroska document (mkvinfo does not
// understand concatenated GetMedia documents) and fails on any error.
func checkMkvinfo(t *testing.T, doc []byte) string {
	t.Helper()
	mediatest.Need(t, "mkvinfo")
	path := filepath.Join(t.TempDir(), "doc.mkv")
	require.NoError(t, os.WriteFile(path, doc, 0o644))
	out, err := exec.Command("mkvinfo", path).CombinedOutput()
	require.NoError(t, err, "mkvinfo:\n%s", out)
	for _, line := range strings.Split(string(out), "\n") {
		assert.NotContains(t, line, "Error", "mkvinfo")
		assert.NotContains(t, line, "Warning", "mkvinfo")
	}
	return string(out)
}

// offsetsWriter records where each fragment starts.
type offsetsWriter struct {
	bytes.Buffer
	starts []int
}

func (w *offsetsWriter) Write(p []byte) (int, error) {
	w.starts = append(w.starts, w.Len())
	return w.Buffer.Write(p)
}

func TestWriterSampleFragmentsTools(t *testing.T) {
	if testing.Short() {
		t.Skip("runs mkvinfo, ffprobe and ffmpeg on every document (about 30 s)")
	}
	mediatest.Need(t, "mkvinfo", "ffprobe", "ffmpeg")
	tests := []struct {
		name      string
		opts      mkv.WriterOptions
		withAudio bool
	}{
		{"producer video", mkv.WriterOptions{Layout: mkv.LayoutProducer}, false},
		{"producer video+audio", mkv.WriterOptions{Layout: mkv.LayoutProducer}, true},
		{"producer video+audio unknown size", mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true}, true},
		{"getmedia video+audio", mkv.WriterOptions{}, true},
		{"getmedia video+audio unknown size", mkv.WriterOptions{UnknownSizeClusters: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // waits on mkvinfo, ffprobe and ffmpeg; shares nothing
			frags := sampleFragments(t, tt.withAudio)
			var out offsetsWriter
			w := mkv.NewWriter(&out, &tt.opts)
			for _, f := range frags {
				require.NoError(t, w.WriteFragment(f))
			}
			require.NoError(t, w.Close())
			require.Len(t, out.starts, len(frags), "one Write per fragment")
			dir := t.TempDir()

			// What ffprobe checks: the producer file whole, or each
			// GetMedia document alone.
			type doc struct {
				data  []byte
				frags []*mkv.Fragment
			}
			var docs []doc
			if tt.opts.Layout == mkv.LayoutProducer {
				docs = []doc{{out.Bytes(), frags}}
			} else {
				for i, start := range out.starts {
					end := out.Len()
					if i+1 < len(out.starts) {
						end = out.starts[i+1]
					}
					docs = append(docs, doc{out.Bytes()[start:end], frags[i : i+1]})
				}
			}
			for i, d := range docs {
				info := checkMkvinfo(t, d.data)
				assert.Contains(t, info, "V_MPEG4/ISO/AVC")
				path := filepath.Join(dir, fmt.Sprintf("doc%d.mkv", i))
				require.NoError(t, os.WriteFile(path, d.data, 0o644))
				checkPackets(t, path, d.frags)
				if i == 0 || tt.opts.Layout == mkv.LayoutProducer {
					decode(t, path)
				}
			}
		})
	}
}

// checkPackets compares ffprobe's packets with the fragments' blocks: every
// frame, in order, with its track, time (TimecodeScale is 1 ms, and so is
// ffmpeg's Matroska time base), size and key flag.
func checkPackets(t *testing.T, path string, frags []*mkv.Fragment) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=stream_index,pts,size,flags", "-of", "csv", path).Output()
	require.NoError(t, err)
	var want []string
	for _, f := range frags {
		for _, b := range f.Blocks {
			flags := "_"
			if b.Keyframe {
				flags = "K"
			}
			want = append(want, fmt.Sprintf("%d,%d,%d,%s", b.Track-1, b.Time, len(b.Data), flags))
		}
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// packet,stream_index,pts,size,flags (flags like "K__")
		fields := strings.Split(line, ",")
		require.Len(t, fields, 5, "ffprobe line %q", line)
		got = append(got, strings.Join([]string{fields[1], fields[2], fields[3], fields[4][:1]}, ","))
	}
	require.Equal(t, len(want), len(got), "packet count")
	for i := range want {
		require.Equal(t, want[i], got[i], "packet %d", i)
	}
}

// decode has ffmpeg decode every frame and fails on any message.
func decode(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", path, "-f", "null", "-").CombinedOutput()
	require.NoError(t, err, "ffmpeg:\n%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "ffmpeg messages")
}

// expectedRead is what a Reader should give back for f written in layout.
func expectedRead(f *mkv.Fragment, layout mkv.Layout) *mkv.Fragment {
	want := *f
	if layout == mkv.LayoutProducer {
		// GetMedia-only tags are not written to a producer stream.
		want.Tags.MillisBehindNow, want.Tags.HasMillisBehindNow = 0, false
		want.Tags.ContinuationToken = ""
		want.Tags.ErrorCode, want.Tags.ErrorID = "", 0
	}
	return &want
}

func TestWriterReaderRoundTrip(t *testing.T) {
	tiny := func() []*mkv.Fragment {
		h := tinyHeader()
		f1, f2 := tinyFragment(h), tinyFragment(h)
		f2.Timecode = 70_000 // the block times move to stay in int16 range
		for i := range f2.Blocks {
			f2.Blocks[i].Time += 69_000
		}
		f2.Tags = mkv.Tags{Other: []mkv.SimpleTag{{Name: "k", Value: ""}}, ErrorCode: "X", ErrorID: 4000}
		f2.Blocks[0].Invisible = true
		f2.Blocks[1].Discardable = true
		f2.Blocks[2].Keyframe = true // a key BlockGroup: no ReferenceBlock
		f2.Blocks[2].Invisible = true
		return []*mkv.Fragment{f1, f2}
	}
	sets := []struct {
		name  string
		frags func(t *testing.T) []*mkv.Fragment
	}{
		{"tiny", func(*testing.T) []*mkv.Fragment { return tiny() }},
		{"samples", func(t *testing.T) []*mkv.Fragment { return sampleFragments(t, true) }},
	}
	layouts := []mkv.WriterOptions{
		{Layout: mkv.LayoutGetMedia},
		{Layout: mkv.LayoutGetMedia, UnknownSizeClusters: true},
		{Layout: mkv.LayoutProducer},
		{Layout: mkv.LayoutProducer, UnknownSizeClusters: true},
	}
	for _, set := range sets {
		for _, opts := range layouts {
			name := set.name + "/" + opts.Layout.String() + "/unknown=" + strconv.FormatBool(opts.UnknownSizeClusters)
			t.Run(name, func(t *testing.T) {
				frags := set.frags(t)
				data := writeFragments(t, opts, frags...)
				r := mkv.NewBytesReader(data)
				var got []*mkv.Fragment
				for {
					f, err := r.Next()
					if err == io.EOF {
						break
					}
					require.NoError(t, err)
					got = append(got, f.Clone())
				}
				require.Len(t, got, len(frags))
				for i, g := range got {
					want := expectedRead(frags[i], opts.Layout)
					assert.Equal(t, *want.Header, *g.Header, "fragment %d header", i)
					assert.Equal(t, want.Timecode, g.Timecode, "fragment %d timecode", i)
					assert.Equal(t, normTags(want.Tags), normTags(g.Tags), "fragment %d tags", i)
					assert.False(t, g.Truncated)
					require.Len(t, g.Blocks, len(want.Blocks), "fragment %d blocks", i)
					for j, b := range g.Blocks {
						wb := want.Blocks[j]
						if wb.HasDuration {
							// Only SimpleBlocks have a discardable flag.
							wb.Discardable = false
						}
						b.Offset, wb.Offset = 0, 0
						require.Equal(t, wb, b, "fragment %d block %d", i, j)
					}
				}
			})
		}
	}
}

func normTags(t mkv.Tags) mkv.Tags {
	if len(t.Other) == 0 {
		t.Other = nil
	}
	return t
}

// TestWriterAllocs holds the Writer to its promise: no allocation per
// fragment once its buffer has grown.
func TestWriterAllocs(t *testing.T) {
	frags := sampleFragments(t, true)
	for _, opts := range []mkv.WriterOptions{{}, {Layout: mkv.LayoutProducer, UnknownSizeClusters: true}} {
		w := mkv.NewWriter(io.Discard, &opts)
		for _, f := range frags {
			require.NoError(t, w.WriteFragment(f))
		}
		i := 0
		allocs := testing.AllocsPerRun(50, func() {
			if err := w.WriteFragment(frags[i%len(frags)]); err != nil {
				t.Fatal(err)
			}
			i++
		})
		assert.Zero(t, allocs, "%s: allocations per WriteFragment", opts.Layout)
	}
}

func BenchmarkWriteFragment(b *testing.B) {
	frags := sampleFragments(b, true)
	for _, opts := range []mkv.WriterOptions{{}, {Layout: mkv.LayoutProducer}} {
		b.Run(opts.Layout.String(), func(b *testing.B) {
			var size int64
			for _, f := range frags {
				for _, bl := range f.Blocks {
					size += int64(len(bl.Data))
				}
			}
			w := mkv.NewWriter(io.Discard, &opts)
			b.SetBytes(size / int64(len(frags)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := w.WriteFragment(frags[i%len(frags)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestWriterFixtureShape pins the facts of the kvsfixture samples the other
// tests rely on.
func TestWriterFixtureShape(t *testing.T) {
	frags := sampleFragments(t, true)
	require.Len(t, frags, 9)
	video, audio := 0, 0
	for i, f := range frags {
		assert.Same(t, frags[0].Header, f.Header)
		assert.Equal(t, i, f.Index)
		assert.Len(t, f.Tags.FragmentNumber, 47)
		assert.Equal(t, int64(kvsfixture.StartMillis)+f.Timecode, f.Tags.ProducerTimestamp)
		assert.Equal(t, f.Tags.ProducerTimestamp+kvsfixture.ServerDelayMillis, f.Tags.ServerTimestamp)
		assert.Equal(t, int64(i*kvsfixture.GOPLength*kvsfixture.VideoFrameMillis), f.Timecode)
		require.NotEmpty(t, f.Blocks)
		assert.True(t, f.Blocks[0].Keyframe && f.Blocks[0].Track == 1, "fragment %d starts with the IDR", i)
		// AVCC with 4-byte lengths: the first NAL unit is the AUD.
		assert.Equal(t, []byte{0, 0, 0, 2, 0x09}, f.Blocks[0].Data[:5])
		tracks := map[uint64]int{}
		last := int64(-1)
		for _, b := range f.Blocks {
			tracks[b.Track]++
			assert.GreaterOrEqual(t, b.Time, last, "blocks in time order")
			last = b.Time
		}
		assert.Len(t, tracks, 2, "fragment %d has both tracks", i)
		video += tracks[1]
		audio += tracks[2]
	}
	assert.Equal(t, kvsfixture.VideoFrames, video)
	assert.Equal(t, 756, audio, "16.12 s of 21.333 ms frames")
	h := frags[0].Header
	assert.Equal(t, [2]uint64{640, 480}, [2]uint64{h.Tracks[0].PixelWidth, h.Tracks[0].PixelHeight})
	assert.Equal(t, byte(0x64), h.Tracks[0].CodecPrivate[1], "High profile avcC")
}
