package media

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestPacer: a session sends no faster than its rate over a burst, time
// spent idle is no credit for the next burst, and a rate of 0 or less
// does not pace. Time is the pacer's input, so it runs on a synctest
// bubble's clock: a burst takes exactly what its rate allows.
func TestPacer(t *testing.T) {
	tests := []struct {
		name  string
		rate  int64
		bytes int
		took  time.Duration
	}{
		{"paced", 4 << 20, 1 << 20, 250 * time.Millisecond}, // 1 MiB at 4 MiB/s
		{"unpaced", -1, 64 << 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pacer{rate: tt.rate}
				for burst := range 2 {
					began := time.Now()
					for sent := 0; sent < tt.bytes; sent += progressSlice {
						if err := p.wait(t.Context(), progressSlice); err != nil {
							t.Fatal(err)
						}
					}
					assert.Equal(t, tt.took, time.Since(began), "burst %d", burst)
					p.idle()
					// Idle as long as a burst takes: without idle() the
					// next burst would be sent at once.
					time.Sleep(250 * time.Millisecond)
				}
			})
		})
	}
	// A pacer waiting gives up when its session ends.
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		p := pacer{rate: 1}
		done := make(chan error)
		go func() { done <- p.wait(ctx, 1<<20) }()
		synctest.Wait() // waiting, a 12-day wait ahead
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
	})
}
