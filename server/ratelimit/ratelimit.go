// Package ratelimit is the server's one rate limiter: a token bucket per
// key (a stream's name), as KVS states its per-stream limits in calls per
// second (GetClip 1, GetMedia 5, session creation 25).
package ratelimit

import (
	"sync"
	"time"
)

// maxIdleBuckets bounds the buckets kept before full ones are dropped: a
// full bucket is the same as none, so dropping it changes no answer, and
// a client naming ever new streams cannot grow the map without bound.
const maxIdleBuckets = 4096

// Limiter allows calls per key at a steady rate with a burst. The zero
// rate disables it. It is safe for concurrent use.
type Limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter of rate calls per second per key, of which burst
// may come at once; rate 0 (or less) allows everything. now is the clock
// (time.Now when nil). GetClip's limit is a burst of 1; session creation's
// is a burst of its whole rate, so that a page asking for a few sessions
// together is within it, as it is within KVS's per-second count.
func New(rate float64, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, burst: float64(max(burst, 1)), now: now, buckets: map[string]*bucket{}}
}

// Allow takes a token of key's bucket; false when it is empty.
func (l *Limiter) Allow(key string) bool {
	if l.rate <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxIdleBuckets {
			l.dropFull(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// dropFull forgets the buckets that have refilled by now.
func (l *Limiter) dropFull(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
