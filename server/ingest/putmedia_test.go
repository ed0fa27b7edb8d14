package ingest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseStartTimestamp: epoch seconds, with the C producer's fraction
// of up to three digits read as milliseconds.
func TestParseStartTimestamp(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1700000000", 1700000000000, true},
		{"1700000000.5", 1700000000005, true}, // the C producer's unpadded 5 ms
		{"1700000000.50", 1700000000050, true},
		{"1700000000.500", 1700000000500, true},
		{"1700000000.1234", 1700000000123, true},
		{"1700000000.", 0, false},
		{"-1", 0, false},
		{"abc", 0, false},
		{"1.2e9", 0, false},
	} {
		got, err := parseStartTimestamp(c.in)
		if !c.ok {
			assert.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
}
