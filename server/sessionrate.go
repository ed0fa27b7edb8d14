package server

import (
	"sync"
	"time"
)

// sessionRate counts session requests per stream in one-second windows:
// KVS states its session creation limit as requests per second, and a
// player's page asking for a few sessions at once is within it (a token
// bucket of burst 1, as GetClip's, would refuse the second of two calls
// made together).
type sessionRate struct {
	limit int
	now   func() time.Time

	mu      sync.Mutex
	windows map[string]*rateWindow
}

type rateWindow struct {
	second int64 // Unix second the count is for
	count  int
}

func newSessionRate(limit int, now func() time.Time) *sessionRate {
	return &sessionRate{limit: limit, now: now, windows: map[string]*rateWindow{}}
}

// allow counts a request of the stream; false past the limit.
func (l *sessionRate) allow(stream string) bool {
	sec := l.now().Unix()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[stream]
	if w == nil {
		w = &rateWindow{}
		l.windows[stream] = w
	}
	if w.second != sec {
		w.second, w.count = sec, 0
	}
	if w.count >= l.limit {
		return false
	}
	w.count++
	return true
}
