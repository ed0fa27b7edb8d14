package storeread

import (
	"context"
	"math"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
)

// newestWindows are how far back from now Newest looks for a stream's
// newest fragments, in turn, before it lists the whole stream: a stream fed
// in the last minute costs a listing of that minute, not of its retention
// (on S3, one ListObjectsV2 page rather than one per thousand fragments).
var newestWindows = [...]time.Duration{time.Minute, time.Hour, 24 * time.Hour, 30 * 24 * time.Hour, 0} // 0: the whole stream

// Newest returns the fragments of stream by server timestamp from the
// shortest of newestWindows back from now that holds any, the newest last;
// none when the stream has none. Any window [now−w, ∞) that holds a
// fragment holds those of the latest server timestamp, also when a clock
// has gone back and they lie in the future. Fragment numbering starts past
// them at start (package ingest), and a GetMedia from NOW starts at the
// newest.
func Newest(ctx context.Context, store archive.Store, stream string, now time.Time) ([]kvs.Fragment, error) {
	for _, w := range newestWindows {
		from := int64(math.MinInt64)
		if w > 0 {
			from = now.Add(-w).UnixMilli()
		}
		frags, err := store.List(ctx, stream, kvs.ServerTimestamp, from, math.MaxInt64)
		if err != nil || len(frags) > 0 {
			return frags, err
		}
	}
	return nil, nil
}
