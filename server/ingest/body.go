package ingest

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvsclip/kvsclip/server/stall"
)

// timedReader remembers when each byte of the body arrived, so a fragment's
// server timestamp is the time its first byte came in even though the
// Matroska reader only hands the fragment over once it is complete. It also
// sets the read deadline before each read by the progress rule: the
// session may last for long but must keep bringing data, and no read
// waits past the session's end (Config.MaxPutMediaDuration).
type timedReader struct {
	r io.Reader
	// mu orders arming the deadline with replace: a replaced session's
	// read is cut at once, and no later read is armed.
	mu       sync.Mutex
	replaced bool
	progress *stall.Deadline
	// last is when the latest byte arrived (Unix ns), for idleAcks, and
	// waitingSince when the read in progress began (0: none is).
	last         atomic.Int64
	waitingSince atomic.Int64
	off          int64
	// reads holds the end offset and arrival time of recent reads.
	reads []timedRead
}

type timedRead struct {
	end int64
	t   time.Time
}

func (t *timedReader) Read(p []byte) (int, error) {
	t.mu.Lock()
	if t.replaced {
		t.mu.Unlock()
		return 0, errReplaced
	}
	t.progress.Arm()
	t.mu.Unlock()
	t.waitingSince.Store(time.Now().UnixNano())
	n, err := t.r.Read(p)
	t.waitingSince.Store(0)
	t.progress.Count(n)
	if n > 0 {
		now := time.Now()
		t.off += int64(n)
		t.reads = append(t.reads, timedRead{t.off, now})
		t.last.Store(now.UnixNano())
	}
	return n, err
}

// errReplaced ends the body of a session a newer one replaced.
var errReplaced = errors.New("putmedia: replaced by a newer session on the stream")

// replace cuts the session's body: a read in progress fails now (its
// deadline is past) and later ones at once.
func (t *timedReader) replace() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.replaced = true
	t.progress.Expire()
}

func (t *timedReader) wasReplaced() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.replaced
}

// arrivedBy reports whether any byte after off arrived by t.
func (t *timedReader) arrivedBy(off int64, at time.Time) bool {
	for _, r := range t.reads {
		if r.end > off {
			return !r.t.After(at)
		}
	}
	return false
}

// timeAt returns when the byte at off arrived and forgets the reads
// before it: fragments are asked for in order.
func (t *timedReader) timeAt(off int64) time.Time {
	i := 0
	for i < len(t.reads)-1 && t.reads[i].end <= off {
		i++
	}
	if len(t.reads) == 0 {
		return time.Now()
	}
	at := t.reads[i].t
	t.reads = append(t.reads[:0], t.reads[i:]...)
	return at
}
