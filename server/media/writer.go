package media

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// errConsumerGone wraps a failed write of a GetMedia response: the
// consumer left or stopped reading.
var errConsumerGone = errors.New("getmedia: consumer gone")

// writer writes a GetMedia response: each write gets a fresh
// deadline, so a consumer that keeps reading keeps its connection however
// long the session, and one that stalls loses it after the timeout instead
// of holding its slot; and the writes are paced to the session's rate.
type writer struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	pace    pacer
}

// progressSlice is how much of a write must reach the consumer within
// the write timeout: the deadline is renewed after each slice, so a
// consumer on a slow link that keeps reading (64 KiB in 30 s is about
// 2 KB/s) keeps its connection, while a 1 MiB read chunk alone would ask
// 35 KB/s of it.
const progressSlice = 64 << 10

func (m *writer) write(ctx context.Context, b []byte) error {
	for len(b) > 0 {
		n := min(len(b), progressSlice)
		_ = m.rc.SetWriteDeadline(time.Now().Add(m.timeout))
		if _, err := m.w.Write(b[:n]); err != nil {
			return fmt.Errorf("%w: %w", errConsumerGone, err)
		}
		if err := m.pace.wait(ctx, n); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (m *writer) flush() error {
	_ = m.rc.SetWriteDeadline(time.Now().Add(m.timeout))
	if err := m.rc.Flush(); err != nil {
		return fmt.Errorf("%w: %w", errConsumerGone, err)
	}
	return nil
}

// pacer holds a session to rate bytes per second over its current burst
// of sending; 0 or less does not pace.
type pacer struct {
	rate  int64
	start time.Time
	sent  int64
}

// wait records n bytes sent and sleeps until the rate allows them.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p.rate <= 0 {
		return nil
	}
	if p.start.IsZero() {
		p.start = time.Now()
	}
	p.sent += int64(n)
	due := p.start.Add(time.Duration(float64(p.sent) / float64(p.rate) * float64(time.Second)))
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// idle starts a new burst: time spent waiting for fragments is not credit
// for sending faster later.
func (p *pacer) idle() { p.start, p.sent = time.Time{}, 0 }
