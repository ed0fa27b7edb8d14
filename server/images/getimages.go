package images

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/metrics"
	"github.com/kvsclip/kvsclip/server/storeread"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// Deps is what GetImages needs of the server.
type Deps struct {
	// Store lists a stream's fragments around the sample times.
	Store archive.Store
	// Log is the server's logger, for what is not one request's: whether
	// ffmpeg was found.
	Log *slog.Logger
	// Metrics receives whether GetImages is available and the decoder's
	// counts.
	Metrics *metrics.Metrics
	// Streams resolves the stream a request names.
	Streams streamref.Resolver
	// Reader reads the fragments' sample indexes and the chosen frames'
	// bytes, within the server's read budget and index cache.
	Reader *storeread.Reader
	// MaxFragmentDuration is the longest a stored fragment may be: how
	// far before a sample time the fragment holding it may start.
	MaxFragmentDuration time.Duration
}

// Config is GetImages' settings. Zero fields take the defaults.
type Config struct {
	// FFmpeg is the ffmpeg program GetImages decodes key frames with: a
	// path, or a name looked up on PATH; "ffmpeg" when empty. When it
	// cannot be found, GetImages answers InvalidArgumentException (and
	// the server says so in its log at start).
	FFmpeg string
	// CacheBytes bounds the images kept for the next requests
	// (DefaultCacheBytes when 0; negative keeps none).
	CacheBytes int64
	// MaxDecodes bounds the ffmpeg processes running at once
	// (DefaultMaxDecodes when 0).
	MaxDecodes int
	// PageBytes bounds the images of one answer (DefaultPageBytes when
	// 0), past which a page ends early with a NextToken for the rest.
	PageBytes int
}

// DefaultPageBytes bounds the images of one GetImages answer, which is one
// JSON document built in memory: a page of 100 thumbnails is a few MB, but
// 100 full-size PNGs of a 1080p stream would be hundreds. A page that
// reaches it ends early, with a NextToken for the rest.
const DefaultPageBytes = 16 << 20

// API is the GetImages surface: its route, and whether it can answer.
type API struct {
	d         Deps
	dec       *Decoder // nil without ffmpeg
	pageBytes int
}

// New makes the GetImages surface: it finds ffmpeg and says in the log,
// and in the metrics, whether GetImages works.
func New(deps Deps, cfg Config) *API {
	a := &API{d: deps, pageBytes: cfg.PageBytes}
	if a.pageBytes <= 0 {
		a.pageBytes = DefaultPageBytes
	}
	d, err := NewDecoder(Options{FFmpeg: cfg.FFmpeg, CacheBytes: cfg.CacheBytes, MaxDecodes: cfg.MaxDecodes})
	available := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kvsclip_images_available", Help: "1 when GetImages has ffmpeg to decode with."})
	deps.Metrics.Registry.MustRegister(available)
	if err != nil {
		deps.Log.Warn("GetImages unavailable: ffmpeg not found; the API answers it with InvalidArgumentException", "ffmpeg", cfg.FFmpeg, "err", err)
		return a
	}
	available.Set(1)
	a.dec = d
	deps.Log.Info("GetImages available", "ffmpeg", d.Path())
	deps.Metrics.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kvsclip_images_decodes_total", Help: "ffmpeg processes GetImages started."},
			func() float64 { return float64(d.Stats().Runs) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kvsclip_images_cache_hits_total", Help: "GetImages images served without a decode of their own."},
			func() float64 { return float64(d.Stats().CacheHits) }),
	)
	return a
}

// Available reports whether GetImages can answer: whether ffmpeg was
// found. GetDataEndpoint refuses GET_IMAGES when it cannot.
func (a *API) Available() bool { return a.dec != nil }

// Stats are the decoder's counts; zero without ffmpeg.
func (a *API) Stats() Stats {
	if a.dec == nil {
		return Stats{}
	}
	return a.dec.Stats()
}

// Routes is GetImages' route. Without ffmpeg it answers every request with
// Unavailable, before reading its input: nothing in it could be served.
func (a *API) Routes() []httpapi.Route {
	if a.dec == nil {
		return []httpapi.Route{httpapi.Raw("GetImages", "/getImages", false, func(http.ResponseWriter, *http.Request) error {
			return Unavailable()
		})}
	}
	return []httpapi.Route{httpapi.Op("GetImages", "/getImages", a.getImages)}
}

// Unavailable is GetImages' answer on a server without ffmpeg, and
// GetDataEndpoint's for GET_IMAGES. Of the exceptions the model gives
// GetImages, InvalidArgument ("a parameter ... is not supported, or can't
// be used") is the one that says the request cannot be served here as
// asked; the others would send a client to retry (ClientLimitExceeded), to
// look for a stream (ResourceNotFound) or for permissions (NotAuthorized)
// in vain.
func Unavailable() error {
	return httpapi.InvalidArg("GetImages is not available on this server: it has no ffmpeg program to decode video with. Install ffmpeg on the server's PATH and restart it.")
}

// Entries of a GetImages answer that carry no image.
const (
	imageNoMedia    = "NO_MEDIA"
	imageMediaError = "MEDIA_ERROR"
)

// imageJSON is one entry of GetImages' answer.
type imageJSON struct {
	TimeStamp    kvs.Millis
	Error        string `json:",omitempty"`
	ImageContent string `json:",omitempty"`
}

// getImagesOutput is GetImages' answer.
type getImagesOutput struct {
	Images    []imageJSON
	NextToken *string `json:",omitempty"`
}

// getImages answers GetImages: for each sample time of the page, the key
// frame at or before it in the fragment that covers it, decoded by ffmpeg.
// The stream is resolved before the fields are checked, so that an unknown
// stream is ResourceNotFound whatever else the request holds.
func (a *API) getImages(ctx context.Context, in *getImagesInput) (*getImagesOutput, error) {
	st, err := a.d.Streams.Resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return nil, err
	}
	q, err := parseImagesQuery(in)
	if err != nil {
		return nil, err
	}
	count := min(int64(q.limit), q.samples()-q.first)
	times := make([]int64, count)
	for i := range times {
		times[i] = q.start + (q.first+int64(i))*q.interval
	}
	frames, err := a.imageFrames(ctx, st, q, times)
	if err != nil {
		return nil, err
	}
	out := &getImagesOutput{Images: make([]imageJSON, 0, count)}
	next := q.first + count
	bytes := 0
	batch := a.dec.MaxDecodes()
	for i := 0; i < len(frames); i += batch {
		got := a.makeImages(ctx, frames[i:min(i+batch, len(frames))])
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, e := range got {
			out.Images = append(out.Images, e)
			bytes += len(e.ImageContent)
		}
		if bytes >= a.pageBytes && i+batch < len(frames) {
			next = q.first + int64(i+batch)
			break
		}
	}
	if next < q.samples() {
		tok := imagesToken{kind: q.kind, start: q.start, end: q.end, interval: q.interval, next: next}.encode()
		out.NextToken = &tok
	}
	return out, nil
}

// makeImages decodes a batch of frames at once (the decoder bounds the
// processes) and returns their entries in order.
func (a *API) makeImages(ctx context.Context, frames []imageFrame) []imageJSON {
	out := make([]imageJSON, len(frames))
	done := make(chan struct{})
	for i := range frames {
		go func() {
			defer func() { done <- struct{}{} }()
			out[i] = a.makeImage(ctx, &frames[i])
		}()
	}
	for range frames {
		<-done
	}
	return out
}

// makeImage is one entry: the image, or NO_MEDIA or MEDIA_ERROR.
func (a *API) makeImage(ctx context.Context, fr *imageFrame) imageJSON {
	e := imageJSON{TimeStamp: kvs.Millis(fr.time), Error: fr.error}
	if fr.error != "" {
		return e
	}
	c := H264
	if fr.track.HEVC != nil {
		c = H265
	}
	load := func(ctx context.Context) ([]byte, error) {
		frame := make([]byte, fr.smp.Size)
		if err := a.readFrame(ctx, fr.stream, fr.frag, frame, fr.smp.Offset); err != nil {
			return nil, err
		}
		return annexBAccessUnit(fr.track, frame)
	}
	start := time.Now()
	img, err := a.dec.Image(ctx, Key{Frame: fr.key, Spec: fr.spec}, c, load)
	if err != nil {
		if ctx.Err() == nil {
			httpapi.Log(ctx).Warn("GetImages: image not made", "fragment", fr.frag.Number, "offset", fr.smp.Offset, "err", err)
		}
		e.Error = imageMediaError
		return e
	}
	httpapi.Log(ctx).Debug("GetImages: image", "fragment", fr.frag.Number, "bytes", len(img), "duration", time.Since(start))
	e.ImageContent = base64.StdEncoding.EncodeToString(img)
	return e
}

// readFrame reads one frame's bytes: a ranged read of the stored document.
func (a *API) readFrame(ctx context.Context, stream string, f kvs.Fragment, b []byte, off int64) error {
	return a.d.Reader.Source(stream, []kvs.Fragment{f}).ReadAt(ctx, b, 0, off)
}
