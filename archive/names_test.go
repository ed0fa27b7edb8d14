package archive

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestValidStreamName checks the byte loop against KVS's StreamName pattern
// as a regular expression, plus the two names that pattern allows and a
// directory must not have.
func TestValidStreamName(t *testing.T) {
	pattern := regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,256}$`)
	cases := []string{
		"", "a", "A", "0", "_", "-", ".x", "..x", "cam-01.front_door",
		strings.Repeat("a", MaxStreamNameLength), strings.Repeat("a", MaxStreamNameLength+1),
		"a b", "a/b", `a\b`, "ä", "a\x00", "a\n", "stream:1", "x+y",
	}
	for c := 0; c < 256; c++ {
		cases = append(cases, "s"+string(rune(c)), string([]byte{byte(c)}))
	}
	for _, name := range cases {
		if name == "." {
			continue // below
		}
		assert.Equal(t, pattern.MatchString(name), ValidStreamName(name), "%q", name)
	}
	for _, name := range []string{".", ".."} {
		assert.True(t, pattern.MatchString(name))
		assert.False(t, ValidStreamName(name), "%q names a directory", name)
	}
}

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
