package archive

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFileNameRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"91343852333000000000000000000000000000000000007" + "_-5_10_3_2000.mkv", true},
		{"91343852333000000000000000000000000000000000007" + "_1_2_3.mkv", false},
		{"91343852333000000000000000000000000000000000007" + "_1_2_-3_4.mkv", false},
		{"x_1_2_3_4.mkv", false},
		{"91343852333000000000000000000000000000000000007" + "_1_2_3_4.tmp", false},
	} {
		f, ok := parseFragmentFileName(c.name)
		assert.Equal(t, c.ok, ok, c.name)
		if ok {
			assert.Equal(t, c.name, fragmentFileName(f))
		}
	}
}
