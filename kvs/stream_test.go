package kvs_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kvsclip/kvsclip/kvs"
)

// TestValidStreamName checks the byte loop against KVS's StreamName pattern
// as a regular expression, plus the two names that pattern allows and a
// directory must not have.
func TestValidStreamName(t *testing.T) {
	pattern := regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,256}$`)
	cases := []string{
		"", "a", "A", "0", "_", "-", ".x", "..x", "cam-01.front_door",
		strings.Repeat("a", kvs.MaxStreamNameLength), strings.Repeat("a", kvs.MaxStreamNameLength+1),
		"a b", "a/b", `a\b`, "ä", "a\x00", "a\n", "stream:1", "x+y",
	}
	for c := 0; c < 256; c++ {
		cases = append(cases, "s"+string(rune(c)), string([]byte{byte(c)}))
	}
	for _, name := range cases {
		if name == "." {
			continue // below
		}
		assert.Equal(t, pattern.MatchString(name), kvs.ValidStreamName(name), "%q", name)
	}
	for _, name := range []string{".", ".."} {
		assert.True(t, pattern.MatchString(name))
		assert.False(t, kvs.ValidStreamName(name), "%q names a directory", name)
	}
}

// TestStreamARN checks that the ARNs StreamARN makes are read back, and
// that StreamNameOfARN refuses what KVS's ARN pattern refuses.
func TestStreamARN(t *testing.T) {
	arn := kvs.StreamARN("eu-west-1", "123456789012", "cam-01.front_door", 1700000000123)
	assert.Equal(t, "arn:aws:kinesisvideo:eu-west-1:123456789012:stream/cam-01.front_door/1700000000123", arn)
	for _, c := range []struct {
		arn, name string
		ok        bool
	}{
		{arn, "cam-01.front_door", true},
		{"arn:aws-cn:kinesisvideo:cn-north-1:000000000000:stream/a/1", "a", true},
		{"arn:aws:kinesisvideo:us-west-2:000000000000:stream/a/b/1", "", false},
		{"arn:aws:kinesisvideo:us-west-2:000000000000:stream/a/", "", false},
		{"arn:aws:kinesisvideo:us-west-2:000000000000:stream/a/x1", "", false},
		{"arn:aws:kinesisvideo:us-west-2:00000000000a:stream/a/1", "", false},
		{"arn:aws:kinesisvideo:US-WEST-2:000000000000:stream/a/1", "", false},
		{"arn:aws:kinesis:us-west-2:000000000000:stream/a/1", "", false},
		{"arn:aws:kinesisvideo:us-west-2:000000000000:channel/a/1", "", false},
		{"arn:aws:kinesisvideo:us-west-2:000000000000:stream/../1", "", false},
		{"arn:aws:kinesisvideo:us-west-2::stream/a/1", "", false},
		{"a", "", false},
		{"", "", false},
	} {
		name, ok := kvs.StreamNameOfARN(c.arn)
		assert.Equal(t, c.ok, ok, c.arn)
		assert.Equal(t, c.name, name, c.arn)
	}
}

// FuzzStreamNameOfARN: whatever an ARN holds, a name read from it is a
// valid stream name, and the ARN made from it again names the same stream.
func FuzzStreamNameOfARN(f *testing.F) {
	f.Add("arn:aws:kinesisvideo:us-west-2:000000000000:stream/demo/1700000000000")
	f.Add("arn:aws:kinesisvideo:us-west-2:000000000000:stream/a/b/1")
	f.Add("arn::::::")
	f.Fuzz(func(t *testing.T, arn string) {
		name, ok := kvs.StreamNameOfARN(arn)
		if !ok {
			return
		}
		if !kvs.ValidStreamName(name) {
			t.Fatalf("%q gave the invalid name %q", arn, name)
		}
		again, ok := kvs.StreamNameOfARN(kvs.StreamARN("us-west-2", "1", name, 1))
		if !ok || again != name {
			t.Fatalf("%q: the name %q does not survive StreamARN", arn, name)
		}
	})
}
