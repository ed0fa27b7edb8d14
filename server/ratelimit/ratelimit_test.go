package ratelimit

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// clock is a settable time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLimiter(t *testing.T) {
	for _, c := range []struct {
		name  string
		rate  float64
		burst int
		// steps: advance by d, then call; want is whether it is allowed.
		steps []struct {
			d    time.Duration
			want bool
		}
	}{
		{"disabled", 0, 1, []struct {
			d    time.Duration
			want bool
		}{{0, true}, {0, true}, {0, true}}},
		{"GetClip: 1 per second, burst 1", 1, 1, []struct {
			d    time.Duration
			want bool
		}{{0, true}, {0, false}, {500 * time.Millisecond, false}, {500 * time.Millisecond, true}, {0, false}, {10 * time.Second, true}, {0, false}}},
		{"sessions: 3 per second, burst 3", 3, 3, []struct {
			d    time.Duration
			want bool
		}{{0, true}, {0, true}, {0, true}, {0, false}, {334 * time.Millisecond, true}, {0, false}, {time.Second, true}, {0, true}, {0, true}, {0, false}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := &clock{t: time.Unix(1700000000, 0)}
			l := New(c.rate, c.burst, clk.now)
			for i, s := range c.steps {
				clk.t = clk.t.Add(s.d)
				assert.Equal(t, s.want, l.Allow("cam"), "step %d", i)
			}
		})
	}
}

// TestLimiterKeys: each key has its own bucket, and the buckets of many
// keys do not grow without bound.
func TestLimiterKeys(t *testing.T) {
	clk := &clock{t: time.Unix(1700000000, 0)}
	l := New(1, 1, clk.now)
	assert.True(t, l.Allow("a"))
	assert.True(t, l.Allow("b"))
	assert.False(t, l.Allow("a"))
	for i := range 3 * maxIdleBuckets {
		clk.t = clk.t.Add(time.Second)
		assert.True(t, l.Allow(fmt.Sprint("s", i)))
	}
	assert.LessOrEqual(t, len(l.buckets), maxIdleBuckets+1)
}

func BenchmarkLimiterAllow(b *testing.B) {
	l := New(1e9, 1, nil)
	b.ReportAllocs()
	b.SetBytes(1)
	for b.Loop() {
		l.Allow("cam")
	}
}
