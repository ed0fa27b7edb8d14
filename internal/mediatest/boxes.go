package mediatest

import (
	"encoding/binary"
	"testing"
)

// WithoutBoxes returns b, an MP4, without its top-level boxes of type typ —
// such as the free box a one-pass clip keeps for index room it did not use,
// so it can be compared byte for byte with the two-pass clip.
func WithoutBoxes(tb testing.TB, b []byte, typ string) []byte {
	tb.Helper()
	var out []byte
	for o := 0; o < len(b); {
		if len(b)-o < 8 {
			tb.Fatalf("%d bytes after the last box", len(b)-o)
		}
		size := int(binary.BigEndian.Uint32(b[o:]))
		if size < 8 || size > len(b)-o {
			tb.Fatalf("box of %d bytes at %d in %d", size, o, len(b))
		}
		if string(b[o+4:o+8]) != typ {
			out = append(out, b[o:o+size]...)
		}
		o += size
	}
	return out
}
