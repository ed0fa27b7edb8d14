package codec

import (
	"runtime"
	"runtime/metrics"
	"testing"
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

// heapAllocated returns the bytes allocated on the heap by the process so
// far, cheaply. A fuzz worker runs one input at a time, so the difference
// around a call is what the call allocated, give or take the small objects
// the runtime has not yet counted: it counts them a span at a time, when a
// span leaves a P's cache, so the figure can be off by a span per size
// class (hundreds of KiB).
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// heapAllocatedExact is heapAllocated to the byte: ReadMemStats flushes the
// caches first. It stops the world, so it is kept for confirming a figure
// over a bound.
func heapAllocatedExact() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// bounded runs fn, a parser call on n bytes of input, and fails t when it
// allocated more than the bound above. fn must give the same result when
// run again: a figure over the bound is measured again exactly.
func bounded(t *testing.T, what string, n int, fn func()) {
	t.Helper()
	limit := uint64(codecOverhead + codecPerByte*n)
	before := heapAllocated()
	fn()
	if heapAllocated()-before <= limit {
		return
	}
	before = heapAllocatedExact()
	fn()
	if got := heapAllocatedExact() - before; got > limit {
		t.Fatalf("%s allocated %d bytes for %d bytes of input, limit %d", what, got, n, limit)
	}
}
