package codec

import (
	"testing"

	"github.com/kvsclip/kvsclip/internal/mediatest"
)

// Allocation bounds of the fuzz targets: one parser call on n input bytes
// may allocate at most codecOverhead + codecPerByte·n bytes.
//
// codecPerByte: the parsers copy what they keep (parameter sets, the
// rewritten record, a converted frame) at most twice over, and the
// parameter-set walks return a slice header (24 bytes) per NAL unit, which
// takes at least two input bytes (length and header), in a slice that
// append doubles: 24 bytes per input byte.
//
// codecOverhead: the fixed-size results (Track, AVCConfig, HEVCConfig),
// error values with their messages, and the span the runtime counts at
// once when an allocation size class is first used.
const (
	codecOverhead = 32 << 10
	codecPerByte  = 32
)

// bounded runs fn, a parser call on n bytes of input, and fails t when it
// allocated more than the bound above. fn must give the same result when
// run again: a figure over the bound is measured again exactly.
func bounded(t *testing.T, what string, n int, fn func()) {
	t.Helper()
	limit := uint64(codecOverhead + codecPerByte*n)
	before := mediatest.HeapAllocated()
	fn()
	if mediatest.HeapAllocated()-before <= limit {
		return
	}
	before = mediatest.HeapAllocatedExact()
	fn()
	if got := mediatest.HeapAllocatedExact() - before; got > limit {
		t.Fatalf("%s allocated %d bytes for %d bytes of input, limit %d", what, got, n, limit)
	}
}
