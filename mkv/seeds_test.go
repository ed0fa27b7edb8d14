package mkv

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzReader from seedDocs and the recordings")

// seedDocs are the synthetic documents the fuzz corpus starts from: every
// structure the reader handles, each small enough to mutate quickly.
func seedDocs() map[string][]byte {
	tags := el(idTags, el(idTag,
		el(idSimpleTag, el(idTagName, []byte(TagFragmentNumber)), el(idTagString, []byte("91343852333181432392682062607743920146159169392"))),
		el(idSimpleTag, el(idTagName, []byte(TagProducerTimestamp)), el(idTagString, []byte("1511852108.513"))),
		el(idSimpleTag, el(idTagName, []byte(TagServerTimestamp)), el(idTagString, []byte("1511852109.126")))))
	key := simpleBlock(1, 0, 0x80, 0, 0, 0, 2, 0x65, 0x88)
	getMedia := func(tc uint64) []byte {
		return append(append([]byte{}, testEBML...), elSized(idSegment, -1, testTracks, tags,
			el(idCluster, el(idTimecode, u(tc)), key, simpleBlock(2, 3, 0x80, 0x21, 0x10)))...)
	}
	return map[string][]byte{
		"getmedia-two-docs": append(getMedia(0), getMedia(2000)...),
		"producer-unknown-clusters": doc(elSized(idCluster, -1, el(idTimecode, u(1703120790149)), key),
			elSized(idCluster, -1, el(idTimecode, u(1703120791149)), key)),
		"lacing": doc(el(idCluster, el(idTimecode, u(7)),
			simpleBlock(2, 0, 0x82, 2, 1, 2, 0xA, 0xB, 0xC, 0xD),
			simpleBlock(2, 1, 0x86, 1, 0x82, 0xA, 0xB, 0xC),
			simpleBlock(2, 2, 0x84, 1, 0xA, 0xB))),
		"blockgroup": doc(el(idCluster, el(idTimecode, u(0)),
			el(idBlockGroup, el(idBlock, []byte{0x81, 0, 0, 0, 1}), el(idBlockDuration, u(33)), el(idReferenceBlock, []byte{0xFF})))),
		"cut-cluster": getMedia(0)[:len(getMedia(0))-3],
		"header-only": append(append([]byte{}, testEBML...), elSized(idSegment, -1, testTracks, tags)...),
		// Regression: a Cluster whose 8-byte size claims 48 MiB in a tiny
		// input made the streaming reader allocate 48 MiB up front.
		"lying-cluster-size": doc([]byte{0x1F, 0x43, 0xB6, 0x75, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0xE7, 0x81, 0x00}),
		// Regression: 256 empty frames in 7 bytes of fixed lacing.
		"empty-laced-frames": doc(el(idCluster, el(idTimecode, u(0)), simpleBlock(2, 0, 0x84, 0xFF))),
		// Regression: a NUL inside a string ends it; the Reader kept the
		// bytes after it, and ebml-go did not (FuzzReader).
		"nul-in-strings": append(append([]byte{}, testEBML...), elSized(idSegment, -1,
			el(idTracks, el(idTrackEntry, el(idTrackNumber, u(1)), el(idCodecID, []byte("V_MPEG4/ISO/AVC\x00old")))),
			el(idTags, el(idTag, el(idSimpleTag, el(idTagName, []byte("a\x00b")), el(idTagString, []byte("c\x00\x00d"))))),
			el(idCluster, el(idTimecode, u(0)), simpleBlock(1, 0, 0x80, 1)))...),
	}
}

// maxMiniBlocks bounds the blocks a miniature keeps of each fragment.
const maxMiniBlocks = 12

// miniature rewrites the first two fragments of a recording as a small
// document of this package's Writer, in the recording's layout: the same
// tracks and codec IDs, TimecodeScale, Cluster timecodes and block times (moved near 0 for recordings not ours), key
// flags, durations and kinds of tags, with at most maxMiniBlocks blocks a
// fragment. Every frame is replaced by a few made-up bytes. For a recording
// that is not ours (own false) the CodecPrivate, names and tag values are
// made up too, so that no byte of it reaches the repository; the project's
// own files keep them.
func miniature(data []byte, producer, own bool) ([]byte, error) {
	r := NewBytesReader(data)
	var out bytes.Buffer
	opts := WriterOptions{}
	if producer {
		opts = WriterOptions{Layout: LayoutProducer, UnknownSizeClusters: true}
	}
	w := NewWriter(&out, opts)
	var h *Header
	shift := int64(0) // moves the recordings' timecodes near 0
	for i := 0; i < 2; i++ {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if h == nil {
			h = miniHeader(f.Header, own)
			if !own && f.Timecode > 1<<32 { // absolute epoch timecodes
				shift = 1000 - f.Timecode
			}
		}
		m := &Fragment{Header: h, Timecode: f.Timecode + shift, Tags: f.Tags, Index: f.Index}
		m.Tags.Other = append([]SimpleTag(nil), f.Tags.Other...)
		if !own {
			m.Tags = madeUpTags(&f.Tags, i)
		}
		for j, b := range f.Blocks {
			if j == maxMiniBlocks {
				break
			}
			b.Data = madeUpFrame(h.Track(b.Track), b.Keyframe, j)
			b.Time += shift
			m.Blocks = append(m.Blocks, b)
		}
		if err := w.WriteFragment(m); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func miniHeader(src *Header, own bool) *Header {
	if src == nil {
		return &Header{TimecodeScale: defaultTimecodeScale}
	}
	h := *src
	h.Tracks = append([]Track(nil), src.Tracks...)
	if !own {
		h.MuxingApp, h.WritingApp, h.Title = "kvsclip-seed", "kvsclip-seed", ""
		for i := range h.Tracks {
			t := &h.Tracks[i]
			t.Name, t.UID = "", uint64(i+1)
			if len(t.CodecPrivate) > 0 {
				t.CodecPrivate = []byte{0x01, 0x4D, 0x40, 0x1F, 0xFF, 0xE1, 0x00, 0x02, 0x67, 0x4D, 0x01, 0x00, 0x02, 0x68, 0xEE}
			}
		}
	}
	return &h
}

// madeUpTags keeps which tags a fragment has and replaces their values.
func madeUpTags(src *Tags, i int) Tags {
	t := Tags{
		HasProducerTimestamp: src.HasProducerTimestamp, ProducerTimestamp: 1_700_000_000_000 + int64(i)*2000,
		HasServerTimestamp: src.HasServerTimestamp, ServerTimestamp: 1_700_000_000_500 + int64(i)*2000,
		HasMillisBehindNow: src.HasMillisBehindNow, MillisBehindNow: 1000,
		EndOfFragment: src.EndOfFragment,
	}
	if src.FragmentNumber != "" {
		t.FragmentNumber = "9134385233318143239268206260774392014615916939" + strconv.Itoa(i)
	}
	if src.ContinuationToken != "" {
		t.ContinuationToken = "9134385233318143239268206260774392014615916940" + strconv.Itoa(i)
	}
	for _, o := range src.Other {
		t.Other = append(t.Other, SimpleTag{Name: o.Name, Value: "v"})
	}
	return t
}

// madeUpFrame is a short frame of the track's kind: a 4-byte length and an
// IDR or non-IDR NAL header for video, two bytes for audio.
func madeUpFrame(t *Track, key bool, j int) []byte {
	if t == nil || t.Type != TrackTypeVideo {
		return []byte{0x21, byte(j)}
	}
	nal := byte(0x41)
	if key {
		nal = 0x65
	}
	return []byte{0, 0, 0, 2, nal, byte(j)}
}

// seedRecordings are the recordings miniatures are made of: the project's
// own generated media, and the shared KVS recordings beside the checkout.
func seedRecordings(t *testing.T) map[string]struct {
	path          string
	producer, own bool
} {
	m := map[string]struct {
		path          string
		producer, own bool
	}{}
	own, err := filepath.Glob(filepath.Join("..", "testdata", "*.mkv"))
	require.NoError(t, err)
	for _, p := range own {
		m["own-"+strings.TrimSuffix(filepath.Base(p), ".getmedia.mkv")] = struct {
			path          string
			producer, own bool
		}{p, false, true}
	}
	dir, _ := mediatest.LookupShared() // a recording that is not there is logged
	for _, c := range readerCases {
		m["rec-"+strings.TrimSuffix(filepath.Base(c.path), ".mkv")] = struct {
			path          string
			producer, own bool
		}{filepath.Join(dir, c.path), strings.HasPrefix(c.path, "producer/"), false}
	}
	return m
}

func seedFile(d []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(d)))
}

// TestFuzzSeeds keeps the committed corpus in step with seedDocs, and with
// -update-seeds also writes the miniatures of the recordings. Those are not
// compared on ordinary runs: the recordings and generated media may change
// without the corpus going wrong, and the fuzz run reads the files anyway.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	for name, d := range seedDocs() {
		path := filepath.Join(dir, name)
		content := seedFile(d)
		if *updateSeeds {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(path, content, 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./mkv -run TestFuzzSeeds -update-seeds")
		require.True(t, bytes.Equal(got, content), "%s is stale: run with -update-seeds", name)
	}
	if !*updateSeeds {
		return
	}
	for name, rec := range seedRecordings(t) {
		data, err := os.ReadFile(rec.path)
		if errors.Is(err, os.ErrNotExist) {
			t.Logf("%s: no %s", name, rec.path)
			continue
		}
		require.NoError(t, err)
		mini, err := miniature(data, rec.producer, rec.own)
		require.NoError(t, err, name)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), seedFile(mini), 0o644))
	}
}
