package archived

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestParseRange: single ranges of each form, clipped to the clip; an
// unsatisfiable one refused; a list or another unit answered whole.
func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		v          string
		start, end int64
		ok         bool
	}{
		{"bytes=0-9", 0, 10, true},
		{"bytes=5-", 5, 100, true},
		{"bytes=-10", 90, 100, true},
		{"bytes=90-200", 90, 100, true},
		{"bytes=-200", 0, 100, true},
		{"bytes=100-", 0, 0, false},
		{"bytes=9-3", 0, 0, false},
		{"bytes=0-1,5-6", 0, 100, true},
		{"items=0-1", 0, 100, true},
	} {
		s, e, ok := parseRange(c.v, 100)
		assert.Equal(t, c.ok, ok, c.v)
		if ok {
			assert.Equal(t, [2]int64{c.start, c.end}, [2]int64{s, e}, c.v)
		}
	}
}
