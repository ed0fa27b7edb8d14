package server

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket per stream: burst 1, refilled at tps. KVS
// limits GetClip to 1 call per second per stream; the option exists so a
// test rig can reproduce the throttling its clients will meet.
type rateLimiter struct {
	tps float64
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(tps float64, now func() time.Time) *rateLimiter {
	return &rateLimiter{tps: tps, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token of the stream's bucket; false when it is empty.
// Disabled (tps 0) it always allows.
func (l *rateLimiter) allow(stream string) bool {
	if l.tps <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[stream]
	if b == nil {
		b = &bucket{tokens: 1, last: now}
		l.buckets[stream] = b
	}
	b.tokens = min(1, b.tokens+now.Sub(b.last).Seconds()*l.tps)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
