package mkv_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mkv"
)

// TestAppendGetMediaTags: a stored document followed by the appended tags
// is byte for byte the document written with those tags, and reads back
// as one fragment carrying them.
func TestAppendGetMediaTags(t *testing.T) {
	tests := []struct {
		name string
		tags mkv.Tags
	}{
		{"none", mkv.Tags{}},
		{"behind and token", mkv.Tags{MillisBehindNow: 1500, HasMillisBehindNow: true, ContinuationToken: "91343852333181432392682062607743920146159169392"}},
		{"zero behind", mkv.Tags{HasMillisBehindNow: true, ContinuationToken: "1"}},
		{"error", mkv.Tags{ErrorCode: "FRAGMENT_NOT_FOUND", ErrorID: 4000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := tinyFragment(tinyHeader())
			stored.Tags = mkv.Tags{FragmentNumber: "12345", ServerTimestamp: 1700000000123, HasServerTimestamp: true,
				ProducerTimestamp: 1700000000001, HasProducerTimestamp: true, EndOfFragment: true,
				Other: []mkv.SimpleTag{{Name: "k", Value: "v"}}}
			doc := writeFragments(t, mkv.WriterOptions{}, stored)

			full := *stored
			full.Tags.MillisBehindNow, full.Tags.HasMillisBehindNow = tt.tags.MillisBehindNow, tt.tags.HasMillisBehindNow
			full.Tags.ContinuationToken = tt.tags.ContinuationToken
			full.Tags.ErrorCode, full.Tags.ErrorID = tt.tags.ErrorCode, tt.tags.ErrorID
			want := writeFragments(t, mkv.WriterOptions{}, &full)

			got := mkv.AppendGetMediaTags(bytes.Clone(doc), &tt.tags)
			require.Equal(t, want, got)
			f, err := mkv.NewBytesReader(got).Next()
			require.NoError(t, err)
			require.Equal(t, full.Tags.ContinuationToken, f.Tags.ContinuationToken)
			require.Equal(t, full.Tags.MillisBehindNow, f.Tags.MillisBehindNow)
		})
	}
}
