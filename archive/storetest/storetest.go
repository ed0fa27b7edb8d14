// Package storetest is the conformance suite every archive.Store passes:
// the behaviour the server relies on, written once and run against the
// filesystem store and the S3 store alike. It also starts the versitygw S3
// server the S3 tests need.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// Opener returns a new Store on fresh, empty storage for t, logging to log,
// and a function that opens another Store on the same storage: a restarted
// process, or a second server sharing the bucket.
type Opener func(t *testing.T, log *slog.Logger) (store archive.Store, reopen func() archive.Store)

// IndexAccess reaches under a store to a fragment's stored index, to play
// an archive older than indexes or a damaged disk.
type IndexAccess struct {
	// Get returns the stored index, nil when there is none.
	Get func(t *testing.T, store archive.Store, stream, number string) []byte
	// Set replaces the stored index with raw, or removes it when raw is
	// nil.
	Set func(t *testing.T, store archive.Store, stream, number string, raw []byte)
}

// Number returns the i-th test fragment number: 47 digits, of the server's
// shape, growing with i. Digits 11..30, the server's clock in ns, say
// November 2023 for all: S3's retention takes bodies whose number is older
// than the cutoff for leftovers of cut-short Puts, and the fragments of a
// test, at timestamps near 0, must be deleted through the listing instead.
func Number(i int) string {
	return fmt.Sprintf("91343852333%019d%017d", int64(1_700_000_000_000_000_000), i)
}

// Fragment returns a test fragment's metadata and document.
func Fragment(i int, producer, server int64) (kvs.Fragment, []byte) {
	doc := Document(Number(i), producer, server)
	return kvs.Fragment{Number: Number(i), ProducerMillis: producer, ServerMillis: server, Size: int64(len(doc)), DurationMillis: 2000}, doc
}

// Document returns a small GetMedia-layout fragment: an H.264 and an AAC
// track, a few frames of each whose bytes and sizes depend on the number,
// and the AWS tags.
func Document(number string, producer, server int64) []byte {
	h := &mkv.Header{TimecodeScale: 1_000_000, MuxingApp: "storetest", WritingApp: "storetest", Tracks: []mkv.Track{
		{Number: 1, UID: 1, Type: mkv.TrackTypeVideo, CodecID: "V_MPEG4/ISO/AVC", PixelWidth: 16, PixelHeight: 16,
			CodecPrivate: []byte{0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x02, 0x67, 0x42, 0x01, 0x00, 0x02, 0x68, 0xce}},
		{Number: 2, UID: 2, Type: mkv.TrackTypeAudio, CodecID: "A_AAC", SamplingFrequency: 44100, Channels: 2, CodecPrivate: []byte{0x12, 0x10}},
	}}
	f := &mkv.Fragment{Header: h, Tags: mkv.Tags{FragmentNumber: number,
		ProducerTimestamp: producer, HasProducerTimestamp: producer >= 0, ServerTimestamp: server, HasServerTimestamp: server >= 0}}
	seed := byte(len(number) + int(number[len(number)-1]))
	for j := range 6 {
		data := bytes.Repeat([]byte{seed, byte(j)}, 10+int(seed)%7+5*j)
		f.Blocks = append(f.Blocks,
			mkv.Block{Track: 1, Time: int64(j) * 33, Keyframe: j == 0, Data: data},
			mkv.Block{Track: 2, Time: int64(j)*33 + 10, Keyframe: true, Data: data[:len(data)/2]})
	}
	var out bytes.Buffer
	w := mkv.NewWriter(&out, nil)
	if err := w.WriteFragment(f); err != nil {
		panic("storetest: " + err.Error())
	}
	if err := w.Close(); err != nil {
		panic("storetest: " + err.Error())
	}
	return out.Bytes()
}

func withStream(t *testing.T, open Opener) (archive.Store, func() archive.Store) {
	t.Helper()
	a, reopen := open(t, slog.New(slog.DiscardHandler))
	require.NoError(t, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24, Created: time.Unix(1700000000, 0).UTC(), Version: "v1"}))
	return a, reopen
}

// bg is the context of calls that are not about contexts.
var bg = context.Background()

// Run runs the whole suite, each test on fresh storage.
func Run(t *testing.T, open Opener, idx IndexAccess) {
	t.Run("StreamLifecycle", func(t *testing.T) { testStreamLifecycle(t, open) })
	t.Run("Streams", func(t *testing.T) { testStreams(t, open) })
	t.Run("PutListRead", func(t *testing.T) { testPutListRead(t, open) })
	t.Run("PutRefusesInconsistentMeta", func(t *testing.T) { testPutRefuses(t, open) })
	t.Run("DeleteBefore", func(t *testing.T) { testDeleteBefore(t, open, idx) })
	t.Run("ConcurrentUpdates", func(t *testing.T) { testConcurrentUpdates(t, open) })
	t.Run("RecreatedStreamIsEmpty", func(t *testing.T) { testRecreate(t, open) })
	t.Run("IndexRoundTrip", func(t *testing.T) { testIndexRoundTrip(t, open, idx) })
	t.Run("IndexBuiltForOldFragment", func(t *testing.T) { testIndexMissing(t, open, idx) })
	t.Run("DamagedIndexRebuilt", func(t *testing.T) { testIndexDamaged(t, open, idx) })
	t.Run("ReadAt", func(t *testing.T) { testReadAt(t, open) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelled(t, open) })
}

func testStreamLifecycle(t *testing.T, open Opener) {
	a, reopen := withStream(t, open)
	assert.ErrorIs(t, a.CreateStream(bg, archive.Stream{Name: "cam"}), archive.ErrStreamExists)
	for _, bad := range []string{"", ".", "..", "a/b", "sp ace"} {
		assert.ErrorIs(t, a.CreateStream(bg, archive.Stream{Name: bad}), archive.ErrInvalid, bad)
	}
	require.NoError(t, a.UpdateStream(bg, "cam", func(s *archive.Stream) error { s.RetentionHours = 48; s.Version = "v2"; return nil }))
	assert.ErrorIs(t, a.UpdateStream(bg, "cam", func(*archive.Stream) error { return archive.ErrInvalid }), archive.ErrInvalid)
	assert.ErrorIs(t, a.UpdateStream(bg, "nope", func(*archive.Stream) error { return nil }), archive.ErrStreamNotFound)
	// The name is the stream's identity: an update cannot change it.
	require.NoError(t, a.UpdateStream(bg, "cam", func(s *archive.Stream) error { s.Name = "other"; return nil }))

	b := reopen()
	s, err := b.Stream(bg, "cam")
	require.NoError(t, err)
	assert.Equal(t, "cam", s.Name)
	assert.Equal(t, int32(48), s.RetentionHours)
	assert.Equal(t, "v2", s.Version)
	assert.True(t, s.Created.Equal(time.Unix(1700000000, 0)))

	require.NoError(t, b.DeleteStream(bg, "cam"))
	_, err = b.Stream(bg, "cam")
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)
	assert.ErrorIs(t, b.DeleteStream(bg, "cam"), archive.ErrStreamNotFound)
	list, err := b.Streams(bg)
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = reopen().Stream(bg, "cam")
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)
}

func testStreams(t *testing.T, open Opener) {
	a, reopen := open(t, slog.New(slog.DiscardHandler))
	for _, n := range []string{"b", "a.b", "a", "a-1", "Z"} {
		require.NoError(t, a.CreateStream(bg, archive.Stream{Name: n, RetentionHours: 1, Tags: map[string]string{"k": n}}))
	}
	list, err := reopen().Streams(bg)
	require.NoError(t, err)
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
		assert.Equal(t, s.Name, s.Tags["k"])
	}
	assert.Equal(t, []string{"Z", "a", "a-1", "a.b", "b"}, names)
}

// testTimes are producer and server timestamps with producer times out of
// ingestion order, as a producer restart makes them.
var testTimes = [][2]int64{{1000, 5000}, {3000, 6000}, {2000, 7000}, {4000, 8000}}

func testPutListRead(t *testing.T, open Opener) {
	a, reopen := withStream(t, open)
	for i, ts := range testTimes {
		m, doc := Fragment(i, ts[0], ts[1])
		require.NoError(t, a.Put(bg, "cam", m, doc))
	}
	for _, c := range []struct {
		name       string
		kind       kvs.Selector
		start, end int64
		want       []int
	}{
		{"producer inclusive", kvs.ProducerTimestamp, 2000, 3000, []int{1, 2}},
		{"producer all", kvs.ProducerTimestamp, 0, 1 << 62, []int{0, 1, 2, 3}},
		{"producer whole int64 range", kvs.ProducerTimestamp, math.MinInt64, math.MaxInt64, []int{0, 1, 2, 3}},
		{"producer one ms", kvs.ProducerTimestamp, 4000, 4000, []int{3}},
		{"server inclusive", kvs.ServerTimestamp, 6000, 7000, []int{1, 2}},
		{"server none", kvs.ServerTimestamp, 9000, 10000, nil},
		{"server inverted", kvs.ServerTimestamp, 7000, 6000, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := a.List(bg, "cam", c.kind, c.start, c.end)
			require.NoError(t, err)
			var idx []int
			for _, f := range got {
				for i := range testTimes {
					if f.Number == Number(i) {
						idx = append(idx, i)
					}
				}
			}
			assert.Equal(t, c.want, idx)
		})
	}
	doc, err := a.Read(bg, "cam", Number(2))
	require.NoError(t, err)
	_, want := Fragment(2, testTimes[2][0], testTimes[2][1])
	assert.Equal(t, want, doc)
	_, err = a.Read(bg, "cam", Number(9))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	_, err = a.Read(bg, "nope", Number(1))
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)
	_, err = a.List(bg, "nope", kvs.ServerTimestamp, 0, 1)
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)

	m1, _ := Fragment(1, 3000, 6000)
	got, err := a.Lookup(bg, "cam", Number(1))
	require.NoError(t, err)
	assert.Equal(t, m1, got)
	_, err = a.Lookup(bg, "cam", Number(9))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	_, err = a.Lookup(bg, "cam", "12x")
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)

	// Another store on the same storage sees every fragment.
	b := reopen()
	all, err := b.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	require.Len(t, all, 4)
	m3, _ := Fragment(3, 4000, 8000)
	assert.Equal(t, m3, all[3])
	doc, err = b.Read(bg, "cam", Number(3))
	require.NoError(t, err)
	_, want = Fragment(3, testTimes[3][0], testTimes[3][1])
	assert.Equal(t, want, doc)
}

func testPutRefuses(t *testing.T, open Opener) {
	a, _ := withStream(t, open)
	m, doc := Fragment(1, 1, 1)
	m.Size++
	assert.ErrorIs(t, a.Put(bg, "cam", m, doc), archive.ErrInvalid)
	m, doc = Fragment(1, 1, 1)
	m.Number = "12a"
	assert.ErrorIs(t, a.Put(bg, "cam", m, doc), archive.ErrInvalid)
	m, doc = Fragment(1, 1, 1)
	m.DurationMillis = -1
	assert.ErrorIs(t, a.Put(bg, "cam", m, doc), archive.ErrInvalid)
	m, doc = Fragment(1, 1, 1)
	assert.ErrorIs(t, a.Put(bg, "other", m, doc), archive.ErrStreamNotFound)
	// Not a fragment: nothing to index, so nothing to store.
	junk := []byte("fragment 1")
	m.Size = int64(len(junk))
	assert.ErrorIs(t, a.Put(bg, "cam", m, junk), archive.ErrInvalid)
	got, err := a.List(bg, "cam", kvs.ServerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testDeleteBefore(t *testing.T, open Opener, idx IndexAccess) {
	a, reopen := withStream(t, open)
	for i := range 5 {
		m, doc := Fragment(i, int64(i)*1000, int64(i)*1000)
		require.NoError(t, a.Put(bg, "cam", m, doc))
	}
	n, err := a.DeleteBefore(bg, "cam", 2500)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	for _, kind := range []kvs.Selector{kvs.ServerTimestamp, kvs.ProducerTimestamp} {
		got, err := reopen().List(bg, "cam", kind, 0, 1<<62)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, Number(3), got[0].Number)
	}
	_, err = a.Read(bg, "cam", Number(0))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	_, err = a.Lookup(bg, "cam", Number(0))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	for i := range 5 {
		_, err = a.Index(bg, "cam", kvs.Fragment{Number: Number(i)})
		if i < 3 {
			assert.ErrorIs(t, err, archive.ErrFragmentNotFound, i)
			assert.Nil(t, idx.Get(t, a, "cam", Number(i)), "the index of deleted fragment %d", i)
		} else {
			assert.NoError(t, err, i)
			assert.NotNil(t, idx.Get(t, a, "cam", Number(i)), i)
		}
	}
	n, err = a.DeleteBefore(bg, "cam", 2500)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, err = a.DeleteBefore(bg, "nope", 2500)
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)
}

// testConcurrentUpdates checks that UpdateStream loses no update when many
// run at once: each sees the result of the ones before it.
func testConcurrentUpdates(t *testing.T, open Opener) {
	a, _ := withStream(t, open)
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			assert.NoError(t, a.UpdateStream(bg, "cam", func(s *archive.Stream) error { s.RetentionHours++; return nil }))
		})
	}
	wg.Wait()
	s, err := a.Stream(bg, "cam")
	require.NoError(t, err)
	assert.Equal(t, int32(24+n), s.RetentionHours)
}

func testRecreate(t *testing.T, open Opener) {
	a, _ := withStream(t, open)
	m, doc := Fragment(1, 1000, 1000)
	require.NoError(t, a.Put(bg, "cam", m, doc))
	require.NoError(t, a.DeleteStream(bg, "cam"))
	require.NoError(t, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 1}))
	got, err := a.List(bg, "cam", kvs.ServerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = a.Read(bg, "cam", Number(1))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
}

// wantIndex is the index of a document, encoded, as Put should store it.
func wantIndex(t *testing.T, doc []byte) (*fragindex.Index, []byte) {
	t.Helper()
	x, err := fragindex.Build(doc)
	require.NoError(t, err)
	enc, err := x.Marshal()
	require.NoError(t, err)
	return x, enc
}

func testIndexRoundTrip(t *testing.T, open Opener, idx IndexAccess) {
	a, reopen := withStream(t, open)
	docs := map[int][]byte{}
	for i := range 3 {
		m, doc := Fragment(i, int64(i)*2000, int64(i)*2000+500)
		require.NoError(t, a.Put(bg, "cam", m, doc))
		docs[i] = doc
	}
	b := reopen()
	for i, doc := range docs {
		want, enc := wantIndex(t, doc)
		assert.Equal(t, enc, idx.Get(t, a, "cam", Number(i)), "stored at Put: %d", i)
		for _, s := range []archive.Store{a, b} {
			got, err := s.Index(bg, "cam", kvs.Fragment{Number: Number(i)})
			require.NoError(t, err)
			assert.Equal(t, want, got)
			// The size a listing gives, a wrong one, or none: the same
			// index, and the stored one stays.
			for _, size := range []int64{int64(len(doc)), int64(len(doc)) + 1, 0} {
				got, err := s.Index(bg, "cam", kvs.Fragment{Number: Number(i), Size: size})
				require.NoError(t, err)
				assert.Equal(t, want, got, "size %d", size)
				assert.Equal(t, enc, idx.Get(t, s, "cam", Number(i)), "size %d", size)
			}
			// Every sample's bytes read back through the index alone.
			for j, smp := range got.Samples {
				p := make([]byte, smp.Size)
				n, err := s.ReadAt(bg, "cam", Number(i), p, smp.Offset)
				require.NoError(t, err)
				assert.Equal(t, int(smp.Size), n)
				assert.Equal(t, doc[smp.Offset:smp.Offset+int64(smp.Size)], p, "fragment %d sample %d", i, j)
			}
		}
	}
	for _, c := range []struct {
		stream, number string
		want           error
	}{
		{"cam", Number(9), archive.ErrFragmentNotFound},
		{"cam", "12x", archive.ErrFragmentNotFound},
		{"nope", Number(1), archive.ErrStreamNotFound},
	} {
		_, err := a.Index(bg, c.stream, kvs.Fragment{Number: c.number})
		assert.ErrorIs(t, err, c.want, "%s %s", c.stream, c.number)
	}
}

// syncBuffer is a log destination safe for the store's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// openLogged is withStream with a store that logs into the returned buffer.
func openLogged(t *testing.T, open Opener) (archive.Store, func() archive.Store, *syncBuffer) {
	var logs syncBuffer
	a, reopen := open(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24}))
	return a, reopen, &logs
}

// testIndexMissing plays an archive written before indexes: the first
// Index builds the index and stores it, and says so at debug level only.
func testIndexMissing(t *testing.T, open Opener, idx IndexAccess) {
	logs := checkRebuilt(t, open, idx, nil)
	assert.Contains(t, logs, "level=DEBUG")
	assert.NotContains(t, logs, "level=WARN")
}

// testIndexDamaged stores indexes that must not be trusted: each is
// rebuilt from the document, stored again, and logged as a warning.
func testIndexDamaged(t *testing.T, open Opener, idx IndexAccess) {
	_, doc := Fragment(1, 1000, 1000)
	_, enc := wantIndex(t, doc)
	_, otherDoc := Fragment(22, 1000, 1000)
	require.NotEqual(t, len(doc), len(otherDoc), "an index of another document must be of another size")
	_, other := wantIndex(t, otherDoc)
	flipped := bytes.Clone(enc)
	flipped[len(flipped)/2] ^= 0x10
	for _, c := range []struct {
		name string
		raw  []byte
	}{
		{"garbage", []byte("not an index")},
		{"empty", []byte{}},
		{"bit flipped", flipped},
		{"cut short", enc[:len(enc)-7]},
		{"of another document", other},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Contains(t, checkRebuilt(t, open, idx, c.raw), "level=WARN")
		})
	}
}

// checkRebuilt puts a fragment, replaces its stored index with raw (nil:
// removes it), and checks that Index returns the right index, stores it,
// and that another store on the same storage then reads it. It returns
// what the store logged.
func checkRebuilt(t *testing.T, open Opener, idx IndexAccess, raw []byte) string {
	t.Helper()
	a, reopen, logs := openLogged(t, open)
	m, doc := Fragment(1, 1000, 1000)
	require.NoError(t, a.Put(bg, "cam", m, doc))
	idx.Set(t, a, "cam", m.Number, raw)
	want, enc := wantIndex(t, doc)
	got, err := a.Index(bg, "cam", kvs.Fragment{Number: m.Number})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, enc, idx.Get(t, a, "cam", m.Number), "stored again")
	got, err = reopen().Index(bg, "cam", kvs.Fragment{Number: m.Number})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	return logs.String()
}

// testReadAt checks io.ReaderAt's semantics on a stored document.
func testReadAt(t *testing.T, open Opener) {
	a, _ := withStream(t, open)
	m, doc := Fragment(1, 1000, 1000)
	require.NoError(t, a.Put(bg, "cam", m, doc))
	size := int64(len(doc))
	for _, c := range []struct {
		name    string
		off     int64
		n       int
		want    []byte
		wantErr error
	}{
		{"whole", 0, len(doc), doc, nil},
		{"middle", 10, 20, doc[10:30], nil},
		{"last byte", size - 1, 1, doc[size-1:], nil},
		{"nothing", 5, 0, []byte{}, nil},
		{"runs past the end", size - 4, 10, doc[size-4:], io.EOF},
		{"at the end", size, 1, []byte{}, io.EOF},
		{"past the end", size + 100, 1, []byte{}, io.EOF},
		{"negative offset", -1, 1, []byte{}, archive.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := make([]byte, c.n)
			n, err := a.ReadAt(bg, "cam", m.Number, p, c.off)
			if c.wantErr != nil {
				assert.ErrorIs(t, err, c.wantErr)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, len(c.want), n)
			assert.Equal(t, c.want, p[:n])
		})
	}
	_, err := a.ReadAt(bg, "cam", Number(9), make([]byte, 1), 0)
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	_, err = a.ReadAt(bg, "nope", m.Number, make([]byte, 1), 0)
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)
}

// cancelWithin bounds how long a call with a cancelled context may take.
const cancelWithin = 100 * time.Millisecond

// testCancelled calls every method with a cancelled context: each returns
// the context's error at once. A store's own tests cancel calls in flight.
func testCancelled(t *testing.T, open Opener) {
	a, _ := withStream(t, open)
	m, doc := Fragment(1, 1000, 1000)
	require.NoError(t, a.Put(bg, "cam", m, doc))
	ctx, cancel := context.WithCancel(bg)
	cancel()
	m2, doc2 := Fragment(2, 2000, 2000)
	for name, call := range map[string]func() error{
		"Read":         func() error { _, err := a.Read(ctx, "cam", m.Number); return err },
		"ReadAt":       func() error { _, err := a.ReadAt(ctx, "cam", m.Number, make([]byte, 8), 0); return err },
		"Index":        func() error { _, err := a.Index(ctx, "cam", kvs.Fragment{Number: m.Number}); return err },
		"List":         func() error { _, err := a.List(ctx, "cam", kvs.ServerTimestamp, 0, 1<<62); return err },
		"Lookup":       func() error { _, err := a.Lookup(ctx, "cam", m.Number); return err },
		"Stream":       func() error { _, err := a.Stream(ctx, "cam"); return err },
		"Streams":      func() error { _, err := a.Streams(ctx); return err },
		"Put":          func() error { return a.Put(ctx, "cam", m2, doc2) },
		"DeleteBefore": func() error { _, err := a.DeleteBefore(ctx, "cam", 1<<62); return err },
		"UpdateStream": func() error { return a.UpdateStream(ctx, "cam", func(*archive.Stream) error { return nil }) },
		"CreateStream": func() error { return a.CreateStream(ctx, archive.Stream{Name: "new"}) },
		"DeleteStream": func() error { return a.DeleteStream(ctx, "cam") },
	} {
		start := time.Now()
		err := call()
		assert.ErrorIs(t, err, context.Canceled, name)
		assert.Less(t, time.Since(start), cancelWithin, name)
	}
	// Nothing happened.
	got, err := a.List(bg, "cam", kvs.ServerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	assert.Len(t, got, 1)
	_, err = a.Stream(bg, "new")
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)
}
