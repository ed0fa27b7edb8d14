package ingest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/kvsclip/kvsclip/kvs"
)

// listsFrom is a store that records where each List by server timestamp
// starts.
type listsFrom struct {
	archive.Store
	from []int64
}

func (s *listsFrom) List(ctx context.Context, stream string, kind kvs.Selector, start, end int64) ([]kvs.Fragment, error) {
	if kind == kvs.ServerTimestamp {
		s.from = append(s.from, start)
	}
	return s.Store.List(ctx, stream, kind, start, end)
}

// TestSeedNumbers: numbering starts past the greatest number of every
// stream — one fed a moment ago, one fed days ago, one whose newest
// fragments lie ahead of the clock (it went back) — and each stream is
// listed only from the first window back from now that holds a fragment.
func TestSeedNumbers(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	fs, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	put := func(stream string, at time.Time, seq int) string {
		n := fmt.Sprintf("%s%019d%06d%011d", numberPrefix, at.UnixNano(), 42, seq)
		doc := storetest.Document(n, at.UnixMilli(), at.UnixMilli())
		require.NoError(t, fs.Put(context.Background(), stream, kvs.Fragment{Number: n, ProducerMillis: at.UnixMilli(),
			ServerMillis: at.UnixMilli(), Size: int64(len(doc)), DurationMillis: 2000}, doc))
		return n
	}
	for _, name := range []string{"fresh", "stale", "ahead", "empty"} {
		require.NoError(t, fs.CreateStream(context.Background(), archive.Stream{Name: name, RetentionHours: 24 * 90, Created: now.Add(-40 * 24 * time.Hour), Version: "v1"}))
	}
	for i := range 5 {
		put("fresh", now.Add(-time.Duration(10-i)*time.Second), i)
		put("stale", now.Add(-3*24*time.Hour+time.Duration(i)*time.Second), 100+i)
	}
	put("ahead", now.Add(-time.Hour), 7)
	ahead := now.Add(90 * time.Minute)
	put("ahead", ahead, 8)

	store := &listsFrom{Store: fs}
	g, err := seedNumbers(store, now)
	require.NoError(t, err)
	assert.Equal(t, ahead.UnixNano(), g.lastNs, "past the number ahead of the clock")
	assert.Equal(t, uint64(104), g.seq)
	minute, hour, day, month := now.Add(-time.Minute).UnixMilli(), now.Add(-time.Hour).UnixMilli(),
		now.Add(-24*time.Hour).UnixMilli(), now.Add(-30*24*time.Hour).UnixMilli()
	assert.ElementsMatch(t, []int64{
		minute,                   // ahead: its newest fragment is in the future
		minute,                   // fresh
		minute, hour, day, month, // stale: found 3 days back
		minute, hour, day, month, math.MinInt64, // empty: listed whole
	}, store.from)
	first := g.next(now)
	for _, name := range []string{"fresh", "stale", "ahead"} {
		frags, err := fs.List(context.Background(), name, kvs.ServerTimestamp, math.MinInt64, math.MaxInt64)
		require.NoError(t, err)
		for _, f := range frags {
			assert.Greater(t, first, f.Number, "stream %s", name)
		}
	}
}
