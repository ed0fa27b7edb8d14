package citest

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInCI(t *testing.T) {
	for _, c := range []struct {
		value string
		want  bool
	}{
		{"", false},
		{"false", false},
		{"0", false},
		{"true", true},
		{"1", true},
		{"yes", true},
	} {
		t.Run(c.value, func(t *testing.T) {
			t.Setenv(Env, c.value)
			assert.Equal(t, c.want, InCI())
		})
	}
}

func TestMissing(t *testing.T) {
	t.Setenv(Env, "")
	skip, err := Missing("ffmpeg", "make deps installs it")
	require.NoError(t, err)
	assert.Equal(t, "missing ffmpeg (required in CI): make deps installs it", skip)

	t.Setenv(Env, "true")
	skip, err = Missing("ffmpeg", "make deps installs it")
	require.EqualError(t, err, `missing ffmpeg, and CI (CI="true") must have it: make deps installs it`)
	assert.Empty(t, skip)
}

// recorder is a testing.TB that records how Require ended it; Fatal and
// Skip stop the goroutine as the testing package's do.
type recorder struct {
	testing.TB
	failed, skipped string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...any) {
	r.failed = args[0].(error).Error()
	runtime.Goexit()
}
func (r *recorder) Skip(args ...any) {
	r.skipped = args[0].(string)
	runtime.Goexit()
}

func TestRequire(t *testing.T) {
	run := func() *recorder {
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Require(r, "chromium", "make deps installs it")
		}()
		<-done
		return r
	}
	t.Setenv(Env, "")
	r := run()
	assert.Empty(t, r.failed)
	assert.Contains(t, r.skipped, SkipMark)

	t.Setenv(Env, "true")
	r = run()
	assert.Contains(t, r.failed, "missing chromium")
	assert.Empty(t, r.skipped)
}
