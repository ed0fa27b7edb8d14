package media

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPacer: a session sends no faster than its rate over a burst, time
// spent idle is no credit for the next burst, and a rate of 0 or less
// does not pace.
func TestPacer(t *testing.T) {
	tests := []struct {
		name     string
		rate     int64
		bytes    int
		min, max time.Duration
	}{
		{"paced", 4 << 20, 1 << 20, 240 * time.Millisecond, 2 * time.Second},
		{"unpaced", -1, 64 << 20, 0, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pacer{rate: tt.rate}
			for range 2 {
				began := time.Now()
				for sent := 0; sent < tt.bytes; sent += progressSlice {
					require.NoError(t, p.wait(context.Background(), progressSlice))
				}
				took := time.Since(began)
				assert.GreaterOrEqual(t, took, tt.min)
				assert.Less(t, took, tt.max)
				p.idle()
				time.Sleep(tt.min)
			}
		})
	}
	// A pacer waiting gives up when its session ends.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := pacer{rate: 1}
	assert.ErrorIs(t, p.wait(ctx, 1<<20), context.Canceled)
}
