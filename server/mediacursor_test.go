package server

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server/ingest"
)

// TestMediaCursorEdges: where a start selector lands at the ends of the
// archive: past the newest fragment a session has nothing to send yet and
// waits.
func TestMediaCursorEdges(t *testing.T) {
	r := newRig(t)
	_, frags := gmStream(t, r, 6)
	newest := frags[len(frags)-1]
	tests := []struct {
		name string
		st   mediaStart
		want int // fragments the first listing sends, from the end
	}{
		{"after the newest", mediaStart{kind: startFragmentNumber, after: newest.Number}, 0},
		{"token past the archive", mediaStart{kind: startContinuationToken, after: strings.Repeat("9", 47)}, 0},
		{"token before the archive", mediaStart{kind: startContinuationToken, after: "1"}, len(frags)},
		{"now", mediaStart{kind: startNow}, 1},
		{"earliest", mediaStart{kind: startEarliest}, len(frags)},
		{"producer time after all", mediaStart{kind: startProducerTimestamp, at: newest.ProducerMillis + newest.DurationMillis}, 0},
		{"producer time in the newest", mediaStart{kind: startProducerTimestamp, at: newest.ProducerMillis + newest.DurationMillis - 1}, 1},
		{"server time long ago", mediaStart{kind: startServerTimestamp, at: -1 << 62}, len(frags)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newMediaCursor(bg, r.store, "cam", tt.st, ingest.DefaultMaxFragmentDuration, time.Now())
			require.NoError(t, err)
			got, err := c.next(bg)
			require.NoError(t, err)
			require.Len(t, got, tt.want)
			for i, f := range got {
				assert.Equal(t, frags[len(frags)-tt.want+i].Number, f.Number)
			}
		})
	}
}
