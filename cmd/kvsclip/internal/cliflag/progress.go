package cliflag

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progressEvery is how often the progress line is rewritten: often enough
// to look alive, rarely enough that the terminal costs nothing.
const progressEvery = 200 * time.Millisecond

// Progress is the line a long command keeps rewritten on a terminal —
// fragments, bytes, rate and, when the total is known, the share done and
// the time left — and the one-line summary that replaces it at the end.
// A nil *Progress does nothing, which is what a command gets when its
// stderr is not a terminal: logs and pipes get no carriage returns.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	verb  string
	total int64
	begin time.Time
	shown time.Time
	drawn bool
	frags int
	bytes int64
	now   func() time.Time
}

// NewProgress returns the progress of work named by verb ("clipped",
// "put") of total bytes (0: unknown) written to stderr, or nil when stderr
// is not a terminal.
func NewProgress(stderr io.Writer, verb string, total int64) *Progress {
	if !IsTerminal(stderr) {
		return nil
	}
	return &Progress{w: stderr, verb: verb, total: total, begin: time.Now(), now: time.Now}
}

// Update records that frags fragments and bytes bytes are done so far,
// and rewrites the line if it is time to. It may be called from any
// goroutine.
func (p *Progress) Update(frags int, bytes int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frags, p.bytes = frags, bytes
	if now := p.now(); now.Sub(p.shown) >= progressEvery {
		p.shown = now
		// \r and "erase to end of line" rewrite the line in place.
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(now))
		p.drawn = true
	}
}

// Done replaces the progress line with summary, if there is a line.
func (p *Progress) Done(summary string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	if summary != "" {
		fmt.Fprintln(p.w, summary)
	}
}

// Clear takes the progress line away, so that a message can be printed on
// a clean line.
func (p *Progress) Clear() { p.Done("") }

// line is the progress line as of now.
func (p *Progress) line(now time.Time) string {
	elapsed := now.Sub(p.begin).Seconds()
	s := fmt.Sprintf("%s %d fragments, %s", p.verb, p.frags, Bytes(p.bytes))
	if p.total > 0 {
		s += fmt.Sprintf(" of %s (%d%%)", Bytes(p.total), p.bytes*100/p.total)
	}
	if elapsed > 0 {
		rate := float64(p.bytes) / elapsed
		s += ", " + Bytes(int64(rate)) + "/s"
		if p.total > 0 && rate > 0 && p.bytes < p.total {
			left := time.Duration(float64(p.total-p.bytes) / rate * float64(time.Second))
			s += ", ETA " + left.Round(time.Second).String()
		}
	}
	return s
}

// Bytes formats n bytes for people: "512 B", "1.5 MB" (powers of 1000, as
// a file manager shows sizes).
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n)/unit, 0
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", f, "kMGTP"[i])
}
