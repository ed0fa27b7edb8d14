package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Format is an image encoding GetImages offers.
type Format string

// The formats of GetImages' Format field.
const (
	JPEG Format = "JPEG"
	PNG  Format = "PNG"
)

// Codec is the coding of the access units a Decoder is given.
type Codec string

// The codecs ffmpeg is asked to read, by its raw demuxer names.
const (
	H264 Codec = "h264"
	H265 Codec = "hevc"
)

// Spec is what one image is asked to be.
type Spec struct {
	Format Format
	// Width and Height are the image size in pixels; both 0 keeps the
	// picture's own size. The picture is stretched to them.
	Width, Height int
	// Quality is the JPEG quality, 1 (smallest) to 100 (best); ignored
	// for PNG.
	Quality int
}

// Key names one image in the cache: the frame (its caller's name for it,
// such as stream ARN, fragment number and sample) and the Spec.
type Key struct {
	Frame string
	Spec  Spec
}

// ErrUnavailable: the ffmpeg program cannot be found, so no image can be
// made. NewDecoder returns it wrapped with the reason.
var ErrUnavailable = errors.New("images: ffmpeg is not available")

// ErrTooLarge: the encoded image is larger than Options.MaxImageBytes.
var ErrTooLarge = errors.New("images: image larger than allowed")

// DefaultMaxDecodes bounds the ffmpeg processes running at once. Each
// decodes one key frame on one thread (-threads 1) in about 0.1 s and holds
// about 60 MB of memory (a 480p H.264 frame measured with /usr/bin/time):
// four keep a 100-image page under two seconds of wall time on a small
// machine while costing at most a quarter of a gigabyte, and leave the
// CPUs to the clips and PutMedia sessions the server exists for.
const DefaultMaxDecodes = 4

// DefaultDecodeTimeout bounds one decode. A single key frame, even 4K
// H.265, decodes in well under a second; a process still running after
// ten has met input that makes it spin, and is killed.
const DefaultDecodeTimeout = 10 * time.Second

// DefaultCacheBytes bounds the images kept for the next request: about 500
// thumbnails of 64 KB, the timelines of a few streams.
const DefaultCacheBytes = 32 << 20

// DefaultMaxImageBytes is the largest image kept: GetImages' ImageContent
// holds at most 6 MiB of base64, which is 4.5 MiB of image.
const DefaultMaxImageBytes = 6291456 / 4 * 3

// stderrBytes is how much of ffmpeg's complaint is kept for the error.
const stderrBytes = 2 << 10

// Options configure a Decoder. Zero fields take the defaults above.
type Options struct {
	// FFmpeg is the program's path or name, looked up on PATH; "ffmpeg"
	// when empty.
	FFmpeg string
	// MaxDecodes bounds the decodes running at once.
	MaxDecodes int
	// DecodeTimeout bounds each decode.
	DecodeTimeout time.Duration
	// CacheBytes bounds the cached images; negative caches none.
	CacheBytes int64
	// MaxImageBytes bounds one image.
	MaxImageBytes int
}

// Decoder makes images from key frames. It is safe for concurrent use.
type Decoder struct {
	path    string
	slots   chan struct{}
	timeout time.Duration
	maxSize int
	cache   *cache

	mu      sync.Mutex
	pending map[Key]*flight // decodes under way, shared by their askers

	runs, hits atomic.Int64
	running    atomic.Int64
	peak       atomic.Int64
}

// flight is one decode under way; askers of the same Key wait for it.
type flight struct {
	done chan struct{}
	img  []byte
	err  error
}

// NewDecoder finds ffmpeg and returns a Decoder that runs it. When ffmpeg
// cannot be found the error wraps ErrUnavailable.
func NewDecoder(opts Options) (*Decoder, error) {
	if opts.FFmpeg == "" {
		opts.FFmpeg = "ffmpeg"
	}
	path, err := exec.LookPath(opts.FFmpeg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if opts.MaxDecodes <= 0 {
		opts.MaxDecodes = DefaultMaxDecodes
	}
	if opts.DecodeTimeout <= 0 {
		opts.DecodeTimeout = DefaultDecodeTimeout
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	if opts.MaxImageBytes <= 0 {
		opts.MaxImageBytes = DefaultMaxImageBytes
	}
	return &Decoder{
		path:    path,
		slots:   make(chan struct{}, opts.MaxDecodes),
		timeout: opts.DecodeTimeout,
		maxSize: opts.MaxImageBytes,
		cache:   newCache(opts.CacheBytes),
		pending: map[Key]*flight{},
	}, nil
}

// Path is the ffmpeg program the Decoder runs.
func (d *Decoder) Path() string { return d.path }

// Stats are a Decoder's counts since NewDecoder.
type Stats struct {
	// Runs counts ffmpeg processes started, CacheHits the images served
	// from the cache (or from a decode another asker started).
	Runs, CacheHits int64
	// PeakDecodes is the most decodes that ran at once.
	PeakDecodes int64
}

// Stats returns the Decoder's counts.
func (d *Decoder) Stats() Stats {
	return Stats{Runs: d.runs.Load(), CacheHits: d.hits.Load(), PeakDecodes: d.peak.Load()}
}

// Image returns the image key names. From the cache when it is there;
// otherwise load gives the frame as an Annex-B access unit (parameter
// sets first), which ffmpeg decodes as codec c. Askers of a Key being
// decoded wait for that decode rather than start another.
func (d *Decoder) Image(ctx context.Context, key Key, c Codec, load func(context.Context) ([]byte, error)) ([]byte, error) {
	for {
		if img := d.cache.get(key); img != nil {
			d.hits.Add(1)
			return img, nil
		}
		d.mu.Lock()
		f, ok := d.pending[key]
		if !ok {
			break // with d.mu held: this asker decodes
		}
		d.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		// A decode stopped because its own asker went away says nothing
		// of this asker's: it tries again.
		if f.err != nil && errors.Is(f.err, context.Canceled) && ctx.Err() == nil {
			continue
		}
		d.hits.Add(1)
		return f.img, f.err
	}
	f := &flight{done: make(chan struct{})}
	d.pending[key] = f
	d.mu.Unlock()

	f.img, f.err = d.make(ctx, key.Spec, c, load)
	if f.err == nil {
		d.cache.put(key, f.img)
	}
	d.mu.Lock()
	delete(d.pending, key)
	d.mu.Unlock()
	close(f.done)
	return f.img, f.err
}

// make loads the frame and decodes it within a decode slot. The load is
// in the slot too, so that the frames held in memory are bounded as the
// processes are, however many images are asked for at once.
func (d *Decoder) make(ctx context.Context, spec Spec, c Codec, load func(context.Context) ([]byte, error)) ([]byte, error) {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-d.slots }()
	au, err := load(ctx)
	if err != nil {
		return nil, err
	}
	n := d.running.Add(1)
	defer d.running.Add(-1)
	for p := d.peak.Load(); n > p && !d.peak.CompareAndSwap(p, n); p = d.peak.Load() {
	}
	return d.run(ctx, spec, c, au)
}

// run is one ffmpeg process: the access unit in, one image out.
func (d *Decoder) run(ctx context.Context, spec Spec, c Codec, au []byte) ([]byte, error) {
	args, err := Args(spec, c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.path, args...)
	cmd.Stdin = bytes.NewReader(au)
	// Killed on the deadline, a process's pipes are given this long to
	// close before Wait stops waiting for them.
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: stderrBytes}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	d.runs.Add(1)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("images: start %s: %w", d.path, err)
	}
	// One byte past the bound tells a too-large image from one that fits.
	img, readErr := io.ReadAll(io.LimitReader(stdout, int64(d.maxSize)+1))
	if len(img) > d.maxSize {
		cancel()
	}
	waitErr := cmd.Wait()
	switch {
	case len(img) > d.maxSize:
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, d.maxSize)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("images: decode stopped: %w", context.Cause(ctx))
	case waitErr != nil:
		return nil, fmt.Errorf("images: ffmpeg: %v: %s", waitErr, bytes.TrimSpace(stderr.Bytes()))
	case readErr != nil:
		return nil, fmt.Errorf("images: reading ffmpeg's output: %w", readErr)
	case len(img) == 0:
		return nil, fmt.Errorf("images: ffmpeg made no image: %s", bytes.TrimSpace(stderr.Bytes()))
	}
	return img, nil
}

// Args returns ffmpeg's arguments for one image of spec from an access
// unit of codec c on stdin, written to stdout.
func Args(spec Spec, c Codec) ([]string, error) {
	if c != H264 && c != H265 {
		return nil, fmt.Errorf("images: codec %q is not decoded", c)
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-threads", "1",
		"-f", string(c), "-i", "pipe:0", "-an", "-frames:v", "1"}
	if spec.Width > 0 && spec.Height > 0 {
		args = append(args, "-vf", "scale="+strconv.Itoa(spec.Width)+":"+strconv.Itoa(spec.Height)+":flags=bicubic")
	}
	switch spec.Format {
	case JPEG:
		// The full-range 4:2:0 JPEG expects; the quality maps onto
		// mjpeg's quantizer scale, 2 (best) to 31 (smallest).
		args = append(args, "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", strconv.Itoa(jpegScale(spec.Quality)))
	case PNG:
		args = append(args, "-c:v", "png", "-pix_fmt", "rgb24")
	default:
		return nil, fmt.Errorf("images: format %q is not made", spec.Format)
	}
	return append(args, "-f", "image2pipe", "pipe:1"), nil
}

// jpegScale maps a JPEG quality of 1..100 onto mjpeg's -q:v scale, 31..2.
func jpegScale(quality int) int {
	quality = min(max(quality, 1), 100)
	return 31 - (quality-1)*29/99
}

// limitedBuffer keeps the first max bytes written to it and drops the
// rest, so a chatty process cannot grow the server's memory.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// MaxDecodes is the most decodes the Decoder runs at once.
func (d *Decoder) MaxDecodes() int { return cap(d.slots) }
