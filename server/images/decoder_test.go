package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
)

// keyFrame is an Annex-B access unit of one 64x48 H.264 key frame (or
// H.265 with c == H265), made by ffmpeg's encoders for the test.
func keyFrame(t testing.TB, c Codec) []byte {
	t.Helper()
	mediatest.Need(t, "ffmpeg")
	enc := map[Codec]string{H264: "libx264", H265: "libx265"}[c]
	var out, stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=1", "-frames:v", "1",
		"-c:v", enc, "-pix_fmt", "yuv420p", "-f", string(c), "pipe:1")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	return out.Bytes()
}

// script writes an executable shell script standing in for ffmpeg.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ffmpeg")
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return path
}

func loaded(au []byte) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) { return au, nil }
}

func TestDecoderImages(t *testing.T) {
	d, err := NewDecoder(Options{})
	require.NoError(t, err)
	for _, c := range []struct {
		codec Codec
		spec  Spec
		magic string
	}{
		{H264, Spec{Format: JPEG, Quality: 80}, "\xff\xd8\xff"},
		{H264, Spec{Format: PNG, Width: 33, Height: 17}, "\x89PNG"},
		{H265, Spec{Format: JPEG, Width: 128, Height: 96, Quality: 1}, "\xff\xd8\xff"},
	} {
		t.Run(fmt.Sprint(c.codec, c.spec), func(t *testing.T) {
			img, err := d.Image(t.Context(), Key{Frame: string(c.codec), Spec: c.spec}, c.codec, loaded(keyFrame(t, c.codec)))
			require.NoError(t, err)
			assert.True(t, bytes.HasPrefix(img, []byte(c.magic)))
		})
	}
}

func TestDecoderBadInput(t *testing.T) {
	d, err := NewDecoder(Options{})
	require.NoError(t, err)
	_, err = d.Image(t.Context(), Key{Frame: "junk", Spec: Spec{Format: PNG}}, H264, loaded([]byte("not video at all")))
	require.Error(t, err)
	_, err = d.Image(t.Context(), Key{Frame: "gif", Spec: Spec{Format: "GIF"}}, H264, loaded(keyFrame(t, H264)))
	require.ErrorContains(t, err, "GIF")
	loadErr := errors.New("store down")
	_, err = d.Image(t.Context(), Key{Frame: "load", Spec: Spec{Format: PNG}}, H264, func(context.Context) ([]byte, error) { return nil, loadErr })
	require.ErrorIs(t, err, loadErr)
	assert.Zero(t, d.Stats().CacheHits, "failures are not cached")
}

func TestDecoderUnavailable(t *testing.T) {
	_, err := NewDecoder(Options{FFmpeg: filepath.Join(t.TempDir(), "missing")})
	require.ErrorIs(t, err, ErrUnavailable)
}

// A decode past its deadline is killed, and its slot freed.
func TestDecoderTimeout(t *testing.T) {
	d, err := NewDecoder(Options{FFmpeg: script(t, "exec sleep 30"), DecodeTimeout: 200 * time.Millisecond, MaxDecodes: 1})
	require.NoError(t, err)
	for range 2 {
		t0 := time.Now()
		_, err = d.Image(t.Context(), Key{Frame: "slow", Spec: Spec{Format: PNG}}, H264, loaded([]byte{0, 0, 1}))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(t0), 5*time.Second)
	}
}

// An image past MaxImageBytes is refused, not buffered whole.
func TestDecoderTooLarge(t *testing.T) {
	d, err := NewDecoder(Options{FFmpeg: script(t, "exec head -c 100000 /dev/zero"), MaxImageBytes: 1000})
	require.NoError(t, err)
	_, err = d.Image(t.Context(), Key{Frame: "big", Spec: Spec{Format: PNG}}, H264, loaded([]byte{0, 0, 1}))
	require.ErrorIs(t, err, ErrTooLarge)
}

// The processes running at once, counted by the processes themselves,
// never pass MaxDecodes; askers of one Key share a decode.
func TestDecoderConcurrencyBound(t *testing.T) {
	mediatest.Need(t, "ffmpeg")
	real, err := exec.LookPath("ffmpeg")
	require.NoError(t, err)
	dir := t.TempDir()
	running := filepath.Join(dir, "running")
	require.NoError(t, os.Mkdir(running, 0o755))
	// Each process marks itself running, notes how many are, lingers so
	// that they overlap, and unmarks itself when ffmpeg is done.
	wrapper := script(t, fmt.Sprintf(`touch %[1]s/$$; ls %[1]s | wc -l >> %[2]s; sleep 0.3; %[3]s "$@"; rc=$?; rm %[1]s/$$; exit $rc`,
		running, filepath.Join(dir, "counts"), real))
	const bound = 2
	d, err := NewDecoder(Options{FFmpeg: wrapper, MaxDecodes: bound})
	require.NoError(t, err)
	au := keyFrame(t, H264)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			// Keys 0..5, each asked twice at once.
			_, err := d.Image(t.Context(), Key{Frame: strconv.Itoa(i % 6), Spec: Spec{Format: JPEG, Quality: 50}}, H264, loaded(au))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	raw, err := os.ReadFile(filepath.Join(dir, "counts"))
	require.NoError(t, err)
	peak := 0
	for _, f := range strings.Fields(string(raw)) {
		n, err := strconv.Atoi(f)
		require.NoError(t, err)
		peak = max(peak, n)
	}
	assert.Equal(t, bound, peak, "processes at once")
	st := d.Stats()
	assert.Equal(t, int64(bound), st.PeakDecodes)
	assert.Equal(t, int64(6), st.Runs, "one decode per key")
	assert.Equal(t, int64(6), st.CacheHits)
}

func TestCacheBound(t *testing.T) {
	c := newCache(8 * (1000 + entryOverhead + 1))
	img := bytes.Repeat([]byte{7}, 1000)
	for i := range 20 {
		c.put(Key{Frame: strconv.Itoa(i % 10)}, img)
	}
	n, size := c.c.Len()
	assert.Equal(t, 8, n)
	assert.LessOrEqual(t, size, c.c.Max())
	assert.Nil(t, c.get(Key{Frame: "0"}), "the oldest went first")
	assert.NotNil(t, c.get(Key{Frame: "9"}))
	// One image larger than an eighth of the bound is not kept.
	c.put(Key{Frame: "huge"}, make([]byte, c.c.Max()/4))
	assert.Nil(t, c.get(Key{Frame: "huge"}))
}

func TestArgs(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{Format: JPEG, Quality: 100}, "-c:v mjpeg -pix_fmt yuvj420p -q:v 2 "},
		{Spec{Format: JPEG, Quality: 1}, "-q:v 31 "},
		{Spec{Format: JPEG, Quality: 80, Width: 320, Height: 180}, "-vf scale=320:180:flags=bicubic "},
		{Spec{Format: PNG}, "-c:v png -pix_fmt rgb24 "},
	} {
		args, err := Args(c.spec, H264)
		require.NoError(t, err)
		assert.Contains(t, strings.Join(args, " ")+" ", c.want)
	}
	_, err := Args(Spec{Format: PNG}, "vp9")
	require.Error(t, err)
}

// BenchmarkDecode is one image made by ffmpeg: a 64x48 H.264 key frame
// to a JPEG, no cache.
func BenchmarkDecode(b *testing.B) {
	au := keyFrame(b, H264)
	d, err := NewDecoder(Options{CacheBytes: -1})
	require.NoError(b, err)
	b.ReportAllocs()
	b.SetBytes(int64(len(au)))
	for b.Loop() {
		if _, err := d.Image(b.Context(), Key{Frame: "f", Spec: Spec{Format: JPEG, Quality: 80}}, H264, loaded(au)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheHit is one image answered from the cache.
func BenchmarkCacheHit(b *testing.B) {
	au := keyFrame(b, H264)
	d, err := NewDecoder(Options{})
	require.NoError(b, err)
	key := Key{Frame: "f", Spec: Spec{Format: JPEG, Quality: 80}}
	img, err := d.Image(b.Context(), key, H264, loaded(au))
	require.NoError(b, err)
	b.ReportAllocs()
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, err := d.Image(b.Context(), key, H264, loaded(au)); err != nil {
			b.Fatal(err)
		}
	}
	require.Equal(b, int64(1), d.Stats().Runs)
}

// An asker waiting on a decode whose own asker went away decodes anew
// rather than take that asker's cancellation. In a synctest bubble, so
// that the second asker is known to be waiting on the first's decode
// (synctest.Wait returns once both are blocked) before the first is
// cancelled: without that, a second asker that came late would decode
// anew anyway and the test would pass without the path it is about. The
// first decode is cancelled while it loads its frame; the second's is a
// stand-in ffmpeg that echoes the frame, so no real decoder is needed.
func TestDecoderSharedDecodeCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, err := NewDecoder(Options{FFmpeg: script(t, "exec cat")})
		require.NoError(t, err)
		key := Key{Frame: "f", Spec: Spec{Format: PNG}}
		first, cancel := context.WithCancel(t.Context())
		loading := make(chan struct{})
		errs := make(chan error, 1)
		go func() {
			_, err := d.Image(first, key, H264, func(ctx context.Context) ([]byte, error) {
				close(loading)
				<-ctx.Done()
				return nil, ctx.Err()
			})
			errs <- err
		}()
		<-loading
		type result struct {
			img []byte
			err error
		}
		second := make(chan result, 1)
		frame := []byte("\x89PNG, as the stand-in echoes it")
		go func() {
			img, err := d.Image(t.Context(), key, H264, loaded(frame))
			second <- result{img, err}
		}()
		synctest.Wait()
		select {
		case r := <-second:
			t.Fatalf("the second asker did not wait on the first's decode: %q, %v", r.img, r.err)
		default:
		}
		cancel()
		require.ErrorIs(t, <-errs, context.Canceled)
		r := <-second
		require.NoError(t, r.err)
		assert.Equal(t, frame, r.img)
		st := d.Stats()
		assert.Equal(t, int64(1), st.Runs, "the second asker's own decode")
		assert.Zero(t, st.CacheHits, "the second asker did not take the first's result")
	})
}
