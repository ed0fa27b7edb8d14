package remux_test

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

	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// Allocation bound of FuzzClip: clipping n bytes may allocate at most
// clipOverhead + clipPerByte·n bytes.
//
// clipPerByte: the Reader's share is bounded in package mkv (about 420
// bytes per input byte when every frame is one byte); on top of it the
// Clipper keeps per frame an mp4.Sample, a presentation and a decode time
// and a trun entry (about 100 bytes, in slices that append doubles),
// copies converted frames (Annex-B, HEVC) once, and keeps a manifest entry
// per fragment. 1 KiB per input byte covers all of it with room.
//
// clipOverhead: the MP4 writer's gather buffer (1 MiB, made on the first
// write), the streaming reader's read-ahead in two buffers (64 KiB each,
// doubled), the init segment and the manifest.
const (
	clipOverhead = 2 << 20
	clipPerByte  = 1024
)

// clipMeasured clips data to w and returns what Clip returned and the bytes
// it allocated, as read by alloc.
func clipMeasured(w io.Writer, data []byte, alloc func() uint64) (*remux.Manifest, error, uint64) {
	before := alloc()
	man, err := remux.Clip(w, bytes.NewReader(data), fuzzOptions(data))
	return man, err, alloc() - before
}

// fuzzOptions picks the clip's options from the input's length, so that
// every input, the committed seeds included, is also clipped with gaps
// closed, under GetClip's profile and planned (mehd and sidx, two passes),
// alone and together, without changing the target's signature or corpus.
func fuzzOptions(data []byte) *remux.ClipOptions {
	n := len(data)
	o := &remux.ClipOptions{Planned: n&4 != 0}
	if n&1 != 0 {
		o.Gaps = remux.GapsClose
	}
	if n&2 != 0 {
		o.Profile = remux.ProfileKVS
	}
	return o
}

// FuzzClip runs the whole engine on arbitrary bytes: Matroska in, MP4 to a
// discarding writer, with options that vary with the input (fuzzOptions). Whatever the input, Clip returns, without panic and
// within the allocation bound, a clip or a *kvs.Error of a defined kind.
// When it succeeds, the MP4 must decode with mp4ff, and its trun boxes
// must hold one sample for every block the mkv Reader sees of the clip's
// tracks, less the leading non-key frames the manifest says were dropped.
// Seeds: testdata/fuzz/FuzzClip, miniatures of the project's media and of
// the recordings' structure (see TestFuzzClipSeeds).
func FuzzClip(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x1aE\xdf\xa3\x88B\x82\x85matro"))
	f.Fuzz(func(t *testing.T, data []byte) {
		man, err, got := clipMeasured(io.Discard, data, mediatest.HeapAllocated)
		if limit := uint64(clipOverhead + clipPerByte*len(data)); got > limit {
			if _, _, got = clipMeasured(io.Discard, data, mediatest.HeapAllocatedExact); got > limit {
				t.Fatalf("Clip allocated %d bytes for %d bytes of input, limit %d", got, len(data), limit)
			}
		}
		if err != nil {
			var ke *kvs.Error
			if !errors.As(err, &ke) {
				t.Fatalf("error %v (%T) is not a *kvs.Error", err, err)
			}
			switch ke.Kind {
			case kvs.InvalidArgument, kvs.ResourceNotFound, kvs.MissingCodecPrivateData,
				kvs.InvalidCodecPrivateData, kvs.InvalidMediaFrame, kvs.UnsupportedStreamMediaType:
			default:
				t.Fatalf("kind %v: %v", ke.Kind, err)
			}
			if man == nil {
				t.Fatal("no manifest with the error")
			}
			return
		}
		checkClip(t, data, man)
	})
}

// checkClip clips data again into memory and holds the MP4 to the manifest
// and to what the mkv Reader reads. A planned clip is also written in one
// pass (checkOnePass) and planned from the fragments' indexes, in both
// layouts (comparePlans).
func checkClip(t *testing.T, data []byte, man *remux.Manifest) {
	var out bytes.Buffer
	opts := fuzzOptions(data)
	again, err := remux.Clip(&out, bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("second clip of the same input failed: %v", err)
	}
	if opts.Planned {
		checkOnePass(t, data, opts, out.Bytes())
		// The same clips planned from the fragments' indexes, in both
		// layouts, with a few of their byte ranges.
		idx, docs, ok := indexesOf(t, data)
		if !ok {
			t.Fatal("Clip read the input, the Reader fails")
		}
		for _, pf := range planFormats {
			if pc := comparePlans(t, data, idx, docs, opts.Options, pf.format); pc != nil {
				checkRanges(t, pc, docs, mustWrite(t, pc, docs))
			}
		}
	}
	if fmt.Sprint(again.Tracks) != fmt.Sprint(man.Tracks) {
		t.Fatalf("clips of the same input differ: %v vs %v", again.Tracks, man.Tracks)
	}
	file, err := mp4.DecodeFile(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("mp4ff cannot decode the clip: %v", err)
	}
	// A planned clip leaves a track without samples out of its init
	// segment (it knows before writing it); a streamed one has written
	// its init before it can know.
	listed := len(man.Tracks)
	if opts.Planned {
		listed = 0
		for _, tr := range man.Tracks {
			if tr.Samples > 0 {
				listed++
			}
		}
	}
	if file.Init == nil || file.Init.Moov == nil || len(file.Init.Moov.Traks) != listed {
		t.Fatalf("init segment does not list the %d tracks", listed)
	}
	perTrack := map[uint32]int{}
	total := 0
	for _, seg := range file.Segments {
		for _, frag := range seg.Fragments {
			if frag.Moof == nil {
				t.Fatal("fragment without moof")
			}
			for _, traf := range frag.Moof.Trafs {
				for _, trun := range traf.Truns {
					perTrack[traf.Tfhd.TrackID] += int(trun.SampleCount())
					total += int(trun.SampleCount())
				}
			}
		}
	}
	for _, tr := range man.Tracks {
		if perTrack[tr.ID] != tr.Samples {
			t.Fatalf("track %d: %d samples in trun boxes, %d in the manifest", tr.ID, perTrack[tr.ID], tr.Samples)
		}
	}
	// What the Reader sees: blocks of the clip's tracks (those of the
	// first header with media), less the frames the manifest dropped.
	r := mkv.NewBytesReader(data)
	var tracks map[uint64]bool
	blocks, dropped := 0, 0
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Clip succeeded, the Reader fails: %v", err)
		}
		if tracks == nil && len(f.Blocks) > 0 {
			tracks = map[uint64]bool{}
			for _, tr := range f.Header.Tracks {
				tracks[tr.Number] = true
			}
		}
		for _, b := range f.Blocks {
			if tracks[b.Track] {
				blocks++
			}
		}
	}
	for _, e := range man.Fragments {
		dropped += e.DroppedFrames
	}
	if total != blocks-dropped {
		t.Fatalf("%d samples in the MP4; the input has %d blocks of the clip's tracks, %d dropped", total, blocks, dropped)
	}
}

// checkOnePass writes the planned clip of data in one pass (FileWriter)
// into an in-memory file, with room for one to seven fragments as the
// input's length picks — so that the room is sometimes too small and Close
// writes the clip again — and holds it to twoPass, the same clip written
// by Clip: equal once the free box of unused room is taken out.
func checkOnePass(t *testing.T, data []byte, opts *remux.ClipOptions, twoPass []byte) {
	room := 1 + len(data)/8%7
	var f memFile
	size, err := writeFile(&f, data, room, &opts.Options)
	if err != nil {
		t.Fatalf("one pass: %v (Clip succeeded)", err)
	}
	if size != int64(len(f.b)) {
		t.Fatalf("one pass: Close says %d bytes, the file holds %d", size, len(f.b))
	}
	if got := mediatest.WithoutBoxes(t, f.b, "free"); !bytes.Equal(got, twoPass) {
		t.Fatalf("one pass (room %d) wrote %d bytes, %d without free boxes; two passes wrote %d, and they differ",
			room, len(f.b), len(got), len(twoPass))
	}
}

// memFile is a file in memory: a destination that a planned clip can be
// written to in one pass (it seeks, writes at offsets and truncates),
// without the disk.
type memFile struct {
	b   []byte
	off int64
}

func (m *memFile) Write(p []byte) (int, error) {
	n, err := m.WriteAt(p, m.off)
	m.off += int64(n)
	return n, err
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("memFile: negative offset")
	}
	if end := off + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	return copy(m.b[off:], p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += m.off
	case io.SeekEnd:
		off += int64(len(m.b))
	}
	if off < 0 {
		return 0, errors.New("memFile: negative position")
	}
	m.off = off
	return off, nil
}

func (m *memFile) Truncate(size int64) error {
	if size < 0 {
		return errors.New("memFile: negative size")
	}
	if size <= int64(len(m.b)) {
		m.b = m.b[:size]
	} else {
		m.b = append(m.b, make([]byte, size-int64(len(m.b)))...)
	}
	return nil
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the miniature seeds of testdata/fuzz/FuzzClip")

// TestFuzzClipSeeds writes, with -update-seeds, the seed corpus of FuzzClip:
// for every file of the project's media (../testdata), its first two
// fragments with at most a dozen frames each, frames cut to a few bytes of
// the right kind; for every shared KVS recording, the same made only of
// its structure (tracks, codec IDs, timing, key flags, which tags) over
// the CodecPrivate of the project's file with the same codec, so that no
// byte of the recording reaches the repository. Without the flag it checks
// that every seed is there.
func TestFuzzClipSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzClip")
	own, err := filepath.Glob(filepath.Join("..", "testdata", "*.mkv"))
	require.NoError(t, err)
	privates := map[string][]byte{} // codec ID → CodecPrivate of our media
	type source struct {
		path          string
		own, producer bool
	}
	var sources []source
	for _, p := range own {
		sources = append(sources, source{p, true, false})
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		if f, err := mkv.NewBytesReader(data).Next(); err == nil {
			for _, tr := range f.Header.Tracks {
				if _, ok := privates[tr.CodecID]; !ok {
					privates[tr.CodecID] = tr.CodecPrivate
				}
			}
		}
	}
	shared, _ := mediatest.LookupShared() // without it, the seeds of our media only
	recs, _ := filepath.Glob(filepath.Join(shared, "*", "*.mkv"))
	for _, p := range recs {
		sources = append(sources, source{p, false, strings.Contains(p, string(filepath.Separator)+"producer"+string(filepath.Separator))})
	}
	for _, s := range sources {
		name := "rec-" + strings.TrimSuffix(filepath.Base(s.path), ".mkv")
		if s.own {
			name = "own-" + strings.TrimSuffix(filepath.Base(s.path), ".getmedia.mkv")
		}
		path := filepath.Join(dir, name)
		if !*updateSeeds {
			_, err := os.Stat(path)
			require.NoError(t, err, "run go test ./remux -run TestFuzzClipSeeds -update-seeds")
			continue
		}
		data, err := os.ReadFile(s.path)
		require.NoError(t, err)
		mini := clipMiniature(t, data, s.own, s.producer, privates)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		content := "go test fuzz v1\n[]byte(" + strconv.Quote(string(mini)) + ")\n"
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
}

// clipMiniature is the miniature of one file described at TestFuzzClipSeeds.
func clipMiniature(t *testing.T, data []byte, own, producer bool, privates map[string][]byte) []byte {
	r := mkv.NewBytesReader(data)
	var out bytes.Buffer
	opts := mkv.WriterOptions{}
	if producer {
		opts = mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true}
	}
	w := mkv.NewWriter(&out, &opts)
	var h *mkv.Header
	shift := int64(0)
	for i := 0; i < 2; i++ {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if h == nil {
			c := *f.Header
			c.Tracks = append([]mkv.Track(nil), f.Header.Tracks...)
			if !own {
				c.MuxingApp, c.WritingApp, c.Title = "kvsclip-seed", "kvsclip-seed", ""
				for j := range c.Tracks {
					tr := &c.Tracks[j]
					tr.Name, tr.UID = "", uint64(j+1)
					tr.CodecPrivate = privates[tr.CodecID]
				}
				if f.Timecode > 1<<32 {
					shift = 1000 - f.Timecode
				}
			}
			h = &c
		}
		m := &mkv.Fragment{Header: h, Timecode: f.Timecode + shift, Index: f.Index}
		if own {
			m.Tags = f.Tags
			m.Tags.Other = append([]mkv.SimpleTag(nil), f.Tags.Other...)
		} else {
			m.Tags = mkv.Tags{
				HasProducerTimestamp: f.Tags.HasProducerTimestamp, ProducerTimestamp: 1_700_000_000_000 + int64(i)*2000,
				HasServerTimestamp: f.Tags.HasServerTimestamp, ServerTimestamp: 1_700_000_000_500 + int64(i)*2000,
			}
			if f.Tags.FragmentNumber != "" {
				m.Tags.FragmentNumber = "9134385233318143239268206260774392014615916939" + strconv.Itoa(i)
			}
		}
		for j, b := range f.Blocks {
			if j == 12 {
				break
			}
			b.Data = seedFrame(h.Track(b.Track), b.Keyframe, j)
			b.Time += shift
			m.Blocks = append(m.Blocks, b)
		}
		require.NoError(t, w.WriteFragment(m))
	}
	require.NoError(t, w.Close())
	return out.Bytes()
}

// seedFrame is a short made-up frame the engine accepts for the track's
// codec: one 4-byte-length NAL unit (IDR or not) for H.264 and H.265, a
// 20 ms block of G.711, two bytes for AAC.
func seedFrame(tr *mkv.Track, key bool, j int) []byte {
	switch {
	case tr == nil:
		return []byte{0x21, byte(j)}
	case tr.CodecID == "V_MPEGH/ISO/HEVC":
		if key {
			return []byte{0, 0, 0, 3, 0x26, 0x01, byte(j)}
		}
		return []byte{0, 0, 0, 3, 0x02, 0x01, byte(j)}
	case tr.Type == mkv.TrackTypeVideo:
		if key {
			return []byte{0, 0, 0, 2, 0x65, byte(j)}
		}
		return []byte{0, 0, 0, 2, 0x41, byte(j)}
	case tr.CodecID == "A_MS/ACM":
		return bytes.Repeat([]byte{byte(j)}, 160)
	}
	return []byte{0x21, byte(j)}
}
