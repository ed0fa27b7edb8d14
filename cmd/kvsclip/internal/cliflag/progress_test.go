package cliflag

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestProgress(t *testing.T) {
	var tty bytes.Buffer
	saved := IsTerminal
	defer func() { IsTerminal = saved }()
	IsTerminal = func(v any) bool { return v == any(&tty) }

	assert.Nil(t, NewProgress(&bytes.Buffer{}, "clipped", 0), "no line when stderr is not a terminal")
	var nilProgress *Progress
	nilProgress.Update(1, 2) // a nil Progress does nothing
	nilProgress.Done("done")

	p := NewProgress(&tty, "clipped", 4_000_000)
	clock := p.begin
	p.now = func() time.Time { return clock }
	clock = clock.Add(time.Second)
	p.Update(3, 1_000_000)
	assert.Equal(t, "\rclipped 3 fragments, 1.0 MB of 4.0 MB (25%), 1.0 MB/s, ETA 3s\x1b[K", tty.String())
	tty.Reset()
	clock = clock.Add(time.Millisecond)
	p.Update(4, 1_100_000)
	assert.Empty(t, tty.String(), "the line is rewritten at most every 200 ms")
	p.Done("clipped 12 fragments")
	assert.Equal(t, "\r\x1b[Kclipped 12 fragments\n", tty.String())
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1500: "1.5 kB", 70_000_000: "70.0 MB", 1 << 30: "1.1 GB"} {
		assert.Equal(t, want, Bytes(n))
	}
}
