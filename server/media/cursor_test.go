package media

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/kvsclip/kvsclip/kvs"
)

// TestCursorEdges: where a start selector lands at the ends of the
// archive: past the newest fragment a session has nothing to send yet and
// waits.
func TestCursorEdges(t *testing.T) {
	ctx := context.Background()
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, store.CreateStream(ctx, archive.Stream{Name: "cam", RetentionHours: 24, Created: time.Now(), Version: "v1"}))
	// Six fragments of 2 s each, back to back.
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	var frags []kvs.Fragment
	for i := range 6 {
		ts := start + int64(i)*2000
		f, doc := storetest.Fragment(i+1, ts, ts+150)
		require.NoError(t, store.Put(ctx, "cam", f, doc))
		frags = append(frags, f)
	}
	newest := frags[len(frags)-1]
	tests := []struct {
		name string
		st   startPoint
		want int // fragments the first listing sends, from the end
	}{
		{"after the newest", startPoint{kind: startFragmentNumber, after: newest.Number}, 0},
		{"token past the archive", startPoint{kind: startContinuationToken, after: strings.Repeat("9", 47)}, 0},
		{"token before the archive", startPoint{kind: startContinuationToken, after: "1"}, len(frags)},
		{"now", startPoint{kind: startNow}, 1},
		{"earliest", startPoint{kind: startEarliest}, len(frags)},
		{"producer time after all", startPoint{kind: startProducerTimestamp, at: newest.ProducerMillis + newest.DurationMillis}, 0},
		{"producer time in the newest", startPoint{kind: startProducerTimestamp, at: newest.ProducerMillis + newest.DurationMillis - 1}, 1},
		{"server time long ago", startPoint{kind: startServerTimestamp, at: -1 << 62}, len(frags)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newCursor(ctx, store, "cam", tt.st, 10*time.Second, time.Now())
			require.NoError(t, err)
			got, err := c.next(ctx)
			require.NoError(t, err)
			require.Len(t, got, tt.want)
			for i, f := range got {
				assert.Equal(t, frags[len(frags)-tt.want+i].Number, f.Number)
			}
		})
	}
}
