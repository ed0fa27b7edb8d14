// Package storetest is the conformance suite every archive.Store passes:
// the behaviour the server relies on, written once and run against the
// filesystem store and the S3 store alike. It also starts the versitygw S3
// server the S3 tests need.
package storetest

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
)

// Opener returns a new Store on fresh, empty storage for t, and a function
// that opens another Store on the same storage: a restarted process, or a
// second server sharing the bucket.
type Opener func(t *testing.T) (store archive.Store, reopen func() archive.Store)

// Number returns the i-th test fragment number: 47 digits, of the server's
// shape, growing with i.
func Number(i int) string { return fmt.Sprintf("91343852333%036d", i) }

// Fragment returns a test fragment's metadata and document.
func Fragment(i int, producer, server int64) (archive.Fragment, []byte) {
	doc := fmt.Appendf(nil, "fragment %d", i)
	return archive.Fragment{Number: Number(i), ProducerMillis: producer, ServerMillis: server, Size: int64(len(doc)), DurationMillis: 2000}, doc
}

func withStream(t *testing.T, open Opener) (archive.Store, func() archive.Store) {
	t.Helper()
	a, reopen := open(t)
	require.NoError(t, a.CreateStream(archive.Stream{Name: "cam", RetentionHours: 24, Created: time.Unix(1700000000, 0).UTC(), Version: "v1"}))
	return a, reopen
}

// Run runs the whole suite, each test on fresh storage.
func Run(t *testing.T, open Opener) {
	t.Run("StreamLifecycle", func(t *testing.T) { testStreamLifecycle(t, open) })
	t.Run("Streams", func(t *testing.T) { testStreams(t, open) })
	t.Run("PutListRead", func(t *testing.T) { testPutListRead(t, open) })
	t.Run("PutRefusesInconsistentMeta", func(t *testing.T) { testPutRefuses(t, open) })
	t.Run("DeleteBefore", func(t *testing.T) { testDeleteBefore(t, open) })
	t.Run("ConcurrentUpdates", func(t *testing.T) { testConcurrentUpdates(t, open) })
	t.Run("RecreatedStreamIsEmpty", func(t *testing.T) { testRecreate(t, open) })
}

func testStreamLifecycle(t *testing.T, open Opener) {
	a, reopen := withStream(t, open)
	assert.ErrorIs(t, a.CreateStream(archive.Stream{Name: "cam"}), archive.ErrStreamExists)
	for _, bad := range []string{"", ".", "..", "a/b", "sp ace"} {
		assert.ErrorIs(t, a.CreateStream(archive.Stream{Name: bad}), archive.ErrInvalid, bad)
	}
	require.NoError(t, a.UpdateStream("cam", func(s *archive.Stream) error { s.RetentionHours = 48; s.Version = "v2"; return nil }))
	assert.ErrorIs(t, a.UpdateStream("cam", func(*archive.Stream) error { return archive.ErrInvalid }), archive.ErrInvalid)
	assert.ErrorIs(t, a.UpdateStream("nope", func(*archive.Stream) error { return nil }), archive.ErrStreamNotFound)
	// The name is the stream's identity: an update cannot change it.
	require.NoError(t, a.UpdateStream("cam", func(s *archive.Stream) error { s.Name = "other"; return nil }))

	b := reopen()
	s, err := b.Stream("cam")
	require.NoError(t, err)
	assert.Equal(t, "cam", s.Name)
	assert.Equal(t, int32(48), s.RetentionHours)
	assert.Equal(t, "v2", s.Version)
	assert.True(t, s.Created.Equal(time.Unix(1700000000, 0)))

	require.NoError(t, b.DeleteStream("cam"))
	_, err = b.Stream("cam")
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)
	assert.ErrorIs(t, b.DeleteStream("cam"), archive.ErrStreamNotFound)
	list, err := b.Streams()
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = reopen().Stream("cam")
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)
}

func testStreams(t *testing.T, open Opener) {
	a, reopen := open(t)
	for _, n := range []string{"b", "a.b", "a", "a-1", "Z"} {
		require.NoError(t, a.CreateStream(archive.Stream{Name: n, RetentionHours: 1, Tags: map[string]string{"k": n}}))
	}
	list, err := reopen().Streams()
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
		require.NoError(t, a.Put("cam", m, doc))
	}
	for _, c := range []struct {
		name       string
		kind       archive.TimestampKind
		start, end int64
		want       []int
	}{
		{"producer inclusive", archive.ByProducer, 2000, 3000, []int{1, 2}},
		{"producer all", archive.ByProducer, 0, 1 << 62, []int{0, 1, 2, 3}},
		{"producer whole int64 range", archive.ByProducer, math.MinInt64, math.MaxInt64, []int{0, 1, 2, 3}},
		{"producer one ms", archive.ByProducer, 4000, 4000, []int{3}},
		{"server inclusive", archive.ByServer, 6000, 7000, []int{1, 2}},
		{"server none", archive.ByServer, 9000, 10000, nil},
		{"server inverted", archive.ByServer, 7000, 6000, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := a.List("cam", c.kind, c.start, c.end)
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
	doc, err := a.Read("cam", Number(2))
	require.NoError(t, err)
	assert.Equal(t, "fragment 2", string(doc))
	_, err = a.Read("cam", Number(9))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	_, err = a.Read("nope", Number(1))
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)
	_, err = a.List("nope", archive.ByServer, 0, 1)
	assert.ErrorIs(t, err, archive.ErrStreamNotFound)

	m1, _ := Fragment(1, 3000, 6000)
	got, err := a.Lookup("cam", Number(1))
	require.NoError(t, err)
	assert.Equal(t, m1, got)
	_, err = a.Lookup("cam", Number(9))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	_, err = a.Lookup("cam", "12x")
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)

	// Another store on the same storage sees every fragment.
	b := reopen()
	all, err := b.List("cam", archive.ByProducer, 0, 1<<62)
	require.NoError(t, err)
	require.Len(t, all, 4)
	m3, _ := Fragment(3, 4000, 8000)
	assert.Equal(t, m3, all[3])
	doc, err = b.Read("cam", Number(3))
	require.NoError(t, err)
	assert.Equal(t, "fragment 3", string(doc))
}

func testPutRefuses(t *testing.T, open Opener) {
	a, _ := withStream(t, open)
	m, doc := Fragment(1, 1, 1)
	m.Size++
	assert.ErrorIs(t, a.Put("cam", m, doc), archive.ErrInvalid)
	m, doc = Fragment(1, 1, 1)
	m.Number = "12a"
	assert.ErrorIs(t, a.Put("cam", m, doc), archive.ErrInvalid)
	m, doc = Fragment(1, 1, 1)
	m.DurationMillis = -1
	assert.ErrorIs(t, a.Put("cam", m, doc), archive.ErrInvalid)
	m, doc = Fragment(1, 1, 1)
	assert.ErrorIs(t, a.Put("other", m, doc), archive.ErrStreamNotFound)
	got, err := a.List("cam", archive.ByServer, 0, 1<<62)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testDeleteBefore(t *testing.T, open Opener) {
	a, reopen := withStream(t, open)
	for i := range 5 {
		m, doc := Fragment(i, int64(i)*1000, int64(i)*1000)
		require.NoError(t, a.Put("cam", m, doc))
	}
	n, err := a.DeleteBefore("cam", 2500)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	for _, kind := range []archive.TimestampKind{archive.ByServer, archive.ByProducer} {
		got, err := reopen().List("cam", kind, 0, 1<<62)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, Number(3), got[0].Number)
	}
	_, err = a.Read("cam", Number(0))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	_, err = a.Lookup("cam", Number(0))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	n, err = a.DeleteBefore("cam", 2500)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, err = a.DeleteBefore("nope", 2500)
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
			assert.NoError(t, a.UpdateStream("cam", func(s *archive.Stream) error { s.RetentionHours++; return nil }))
		})
	}
	wg.Wait()
	s, err := a.Stream("cam")
	require.NoError(t, err)
	assert.Equal(t, int32(24+n), s.RetentionHours)
}

func testRecreate(t *testing.T, open Opener) {
	a, _ := withStream(t, open)
	m, doc := Fragment(1, 1000, 1000)
	require.NoError(t, a.Put("cam", m, doc))
	require.NoError(t, a.DeleteStream("cam"))
	require.NoError(t, a.CreateStream(archive.Stream{Name: "cam", RetentionHours: 1}))
	got, err := a.List("cam", archive.ByServer, 0, 1<<62)
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = a.Read("cam", Number(1))
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
}
