package mediatest

import (
	"runtime"
	"runtime/metrics"
)

// HeapAllocated returns the bytes the process has allocated on the heap so
// far, cheaply. A fuzz worker runs one input at a time, so the difference
// around a call is what the call allocated, give or take small objects the
// runtime has not counted yet: it counts them a span at a time, when a span
// leaves a P's cache, so the figure can be off by a span per size class
// (hundreds of KiB). Confirm a figure over a bound with HeapAllocatedExact.
func HeapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// HeapAllocatedExact is HeapAllocated to the byte: ReadMemStats flushes the
// caches first. It stops the world, so harnesses keep it for confirming a
// figure over a bound.
func HeapAllocatedExact() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}
