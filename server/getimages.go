package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/images"
	"github.com/kvsclip/kvsclip/server/ingest"
)

// GetImages' limits, from the API model, besides the sampling interval
// and image size it shares with the image-generation configuration
// (imagebounds.go, from package kvs).
const (
	maxImagesPerPage   = 100
	defaultJPEGQuality = 80
)

// imagesPageBytes bounds the images of one GetImages answer, which is one
// JSON document built in memory: a page of 100 thumbnails is a few MB, but
// 100 full-size PNGs of a 1080p stream would be hundreds. A page that
// reaches it ends early, with a NextToken for the rest.
const imagesPageBytes = 16 << 20

// Entries of a GetImages answer that carry no image.
const (
	imageNoMedia    = "NO_MEDIA"
	imageMediaError = "MEDIA_ERROR"
)

// imagesUnavailable is GetImages' answer on a server without ffmpeg. Of the
// exceptions the model gives GetImages, InvalidArgument ("a parameter ...
// is not supported, or can't be used") is the one that says the request
// cannot be served here as asked; the others would send a client to retry
// (ClientLimitExceeded), to look for a stream (ResourceNotFound) or for
// permissions (NotAuthorized) in vain.
func imagesUnavailable() error {
	return httpapi.InvalidArg("GetImages is not available on this server: it has no ffmpeg program to decode video with. Install ffmpeg on the server's PATH and restart it.")
}

// startImages finds ffmpeg and says in the log, and in the metrics,
// whether GetImages works.
func (s *Server) startImages() {
	d, err := images.New(images.Options{FFmpeg: s.cfg.ImagesFFmpeg, CacheBytes: s.cfg.ImageCacheBytes, MaxDecodes: s.cfg.MaxConcurrentImageDecodes})
	available := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kvsclip_images_available", Help: "1 when GetImages has ffmpeg to decode with."})
	s.m.Registry.MustRegister(available)
	if err != nil {
		s.log.Warn("GetImages unavailable: ffmpeg not found; the API answers it with InvalidArgumentException", "ffmpeg", s.cfg.ImagesFFmpeg, "err", err)
		return
	}
	available.Set(1)
	s.images = d
	s.imagesPageBytes = imagesPageBytes
	s.log.Info("GetImages available", "ffmpeg", d.Path())
	s.m.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kvsclip_images_decodes_total", Help: "ffmpeg processes GetImages started."},
			func() float64 { return float64(d.Stats().Runs) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kvsclip_images_cache_hits_total", Help: "GetImages images served without a decode of their own."},
			func() float64 { return float64(d.Stats().CacheHits) }),
	)
}

// imagesQuery is a checked GetImages request.
type imagesQuery struct {
	kind kvs.Selector
	// start and end (ms, inclusive) and interval (ms) fix the sample
	// times start + k*interval.
	start, end, interval int64
	spec                 images.Spec
	// heightOnly: the width follows from the picture's aspect ratio.
	heightOnly bool
	limit      int
	// first is the page's first sample k.
	first int64
}

// samples is how many sample times the window holds: one at least, the
// start's, even when the window is shorter than the interval.
func (q *imagesQuery) samples() int64 {
	return int64((uint64(q.end)-uint64(q.start))/uint64(q.interval)) + 1
}

// imagesToken is GetImages' NextToken: the query it continues, so that a
// token is not used with another, and the next sample k.
type imagesToken struct {
	kind                 kvs.Selector
	start, end, interval int64
	next                 int64
}

func (t imagesToken) encode() string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "i1 %s %d %d %d %d", t.kind, t.start, t.end, t.interval, t.next))
}

// decodeImagesToken parses a NextToken and checks that it names a sample
// after the first of a window it could have come from.
func decodeImagesToken(s string) (imagesToken, error) {
	var t imagesToken
	bad := httpapi.InvalidArg("NextToken is not valid.")
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(raw) != s {
		return t, bad
	}
	var k, rest string
	n, _ := fmt.Sscanf(string(raw), "i1 %s %d %d %d %d%s", &k, &t.start, &t.end, &t.interval, &t.next, &rest)
	t.kind = kvs.Selector(k)
	if n != 5 || t.encode() != s || !t.kind.Valid() ||
		t.interval < minSampling || t.interval > maxSampling || t.end < t.start || t.next < 1 {
		return t, bad
	}
	q := imagesQuery{start: t.start, end: t.end, interval: t.interval}
	if t.next >= q.samples() {
		return t, bad
	}
	return t, nil
}

// parseImagesQuery checks a GetImages request's fields against the model.
func parseImagesQuery(in *getImagesInput) (*imagesQuery, error) {
	q := &imagesQuery{limit: maxImagesPerPage}
	if q.kind = kvs.Selector(in.ImageSelectorType); !q.kind.Valid() {
		return nil, httpapi.InvalidArg("ImageSelectorType must be PRODUCER_TIMESTAMP or SERVER_TIMESTAMP.")
	}
	if in.StartTimestamp == nil || in.EndTimestamp == nil {
		return nil, httpapi.InvalidArg("StartTimestamp and EndTimestamp are required.")
	}
	q.start, q.end = int64(*in.StartTimestamp), int64(*in.EndTimestamp)
	if q.end < q.start {
		return nil, httpapi.InvalidArg("EndTimestamp must not be before StartTimestamp.")
	}
	if in.SamplingInterval == nil {
		return nil, httpapi.InvalidArg("SamplingInterval is required.")
	}
	if q.interval = *in.SamplingInterval; q.interval < minSampling || q.interval > maxSampling {
		return nil, httpapi.InvalidArg("SamplingInterval must be between %d and %d ms.", minSampling, maxSampling)
	}
	switch images.Format(in.Format) {
	case images.JPEG, images.PNG:
		q.spec.Format = images.Format(in.Format)
	default:
		return nil, httpapi.InvalidArg("Format must be JPEG or PNG.")
	}
	quality, err := jpegQuality(in.FormatConfig)
	if err != nil {
		return nil, err
	}
	if q.spec.Format == images.JPEG {
		q.spec.Quality = quality
	}
	w, h := in.WidthPixels, in.HeightPixels
	if w != nil && (*w < 1 || *w > maxImageWidth) {
		return nil, httpapi.InvalidArg("WidthPixels must be between 1 and %d.", maxImageWidth)
	}
	if h != nil && (*h < 1 || *h > maxImageHeight) {
		return nil, httpapi.InvalidArg("HeightPixels must be between 1 and %d.", maxImageHeight)
	}
	switch {
	case w != nil && h == nil:
		return nil, httpapi.InvalidArg("WidthPixels needs HeightPixels; HeightPixels alone keeps the picture's aspect ratio.")
	case w != nil:
		q.spec.Width, q.spec.Height = int(*w), int(*h)
	case h != nil:
		q.spec.Height, q.heightOnly = int(*h), true
	}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxImagesPerPage {
			return nil, httpapi.InvalidArg("MaxResults must be between 1 and %d.", maxImagesPerPage)
		}
		q.limit = int(*in.MaxResults)
	}
	if in.NextToken != nil {
		if err := fieldFragmentsToken.Check(in.NextToken); err != nil {
			return nil, err
		}
		t, err := decodeImagesToken(*in.NextToken)
		if err != nil {
			return nil, err
		}
		if t.kind != q.kind || t.start != q.start || t.end != q.end || t.interval != q.interval {
			return nil, httpapi.InvalidArg("NextToken belongs to another ImageSelectorType, time range or SamplingInterval.")
		}
		q.first = t.next
	}
	return q, nil
}

// jpegQuality reads FormatConfig: one entry at most, JPEGQuality, 1 to 100.
func jpegQuality(fc map[string]string) (int, error) {
	if fc == nil {
		return defaultJPEGQuality, nil
	}
	v, ok := fc["JPEGQuality"]
	if len(fc) != 1 || !ok {
		return 0, httpapi.InvalidArg("FormatConfig takes one key, JPEGQuality.")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, httpapi.InvalidArg("FormatConfig's JPEGQuality must be a whole number from 1 to 100.")
	}
	return n, nil
}

// getImagesInput is GetImages' request.
type getImagesInput struct {
	StreamName, StreamARN     *string
	ImageSelectorType         string
	StartTimestamp            *kvs.Millis
	EndTimestamp              *kvs.Millis
	SamplingInterval          *int64
	Format                    string
	FormatConfig              map[string]string
	WidthPixels, HeightPixels *int64
	MaxResults                *int64
	NextToken                 *string
}

// imageJSON is one entry of GetImages' answer.
type imageJSON struct {
	TimeStamp    kvs.Millis
	Error        string `json:",omitempty"`
	ImageContent string `json:",omitempty"`
}

// getImages answers GetImages: for each sample time of the page, the key
// frame at or before it in the fragment that covers it, decoded by ffmpeg.
func (s *Server) getImages(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	if s.images == nil {
		return imagesUnavailable()
	}
	var in getImagesInput
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	st, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	q, err := parseImagesQuery(&in)
	if err != nil {
		return err
	}
	ctx := r.Context()
	count := min(int64(q.limit), q.samples()-q.first)
	times := make([]int64, count)
	for i := range times {
		times[i] = q.start + (q.first+int64(i))*q.interval
	}
	frames, err := s.imageFrames(ctx, rq, st, q, times)
	if err != nil {
		return err
	}
	out := struct {
		Images    []imageJSON
		NextToken *string `json:",omitempty"`
	}{Images: make([]imageJSON, 0, count)}
	next := q.first + count
	bytes := 0
	batch := s.images.MaxDecodes()
	for i := 0; i < len(frames); i += batch {
		got := s.makeImages(ctx, rq, frames[i:min(i+batch, len(frames))])
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, e := range got {
			out.Images = append(out.Images, e)
			bytes += len(e.ImageContent)
		}
		if bytes >= s.imagesPageBytes && i+batch < len(frames) {
			next = q.first + int64(i+batch)
			break
		}
	}
	if next < q.samples() {
		tok := imagesToken{kind: q.kind, start: q.start, end: q.end, interval: q.interval, next: next}.encode()
		out.NextToken = &tok
	}
	httpapi.WriteJSON(w, out)
	return nil
}

// imageFrame is the frame chosen for one sample time, or why there is none.
type imageFrame struct {
	time   int64
	error  string // NO_MEDIA or MEDIA_ERROR when there is no frame
	stream string
	frag   archive.Fragment
	track  *codec.Track
	smp    fragindex.Sample
	// key names the frame in the image cache.
	key string
	// spec is the image asked for; with HeightPixels alone, its width is
	// the picture's at that height.
	spec images.Spec
}

// imageLookback bounds how far back a sample time's key frame is sought
// when its own fragment has none before it: in up to this many earlier
// fragments, each ending where the next begins. Producers cut a fragment
// at a key frame, or, for a long group of pictures, at their maximum
// fragment duration without one: three fragments back covers groups of
// pictures up to four fragments long (the 7.6 s of the vogels recording's
// longest, at about 3 s a fragment) while one sample costs at most four
// index reads.
const imageLookback = 3

// contiguousSlack is the widest hole between two fragments that still
// counts as one recording when a key frame is sought in the earlier one:
// about a frame at low frame rates, so that rounding of fragment
// durations does not break a recording in two.
const contiguousSlack = 500 // ms

// imageFrames picks the key frame of each sample time: in the fragment
// whose span holds the time (the latest to start, should spans overlap),
// the last key frame of its video track at or before it, else the last
// one of the fragments just before it (imageLookback). A time no fragment
// holds has NO_MEDIA. Only the indexes of the fragments looked at are read.
func (s *Server) imageFrames(ctx context.Context, rq *httpapi.Call, st archive.Stream, q *imagesQuery, times []int64) ([]imageFrame, error) {
	startOf := func(f archive.Fragment) int64 {
		if q.kind == kvs.ProducerTimestamp {
			return f.ProducerMillis
		}
		return f.ServerMillis
	}
	// A fragment that starts up to its longest duration before the first
	// time may still hold it, and imageLookback more before that may
	// hold its key frame.
	lookback := (1 + imageLookback) * max(s.cfg.Ingest.MaxFragmentDuration, ingest.DefaultMaxFragmentDuration).Milliseconds()
	from := times[0] - lookback
	if from > times[0] {
		from = math.MinInt64
	}
	frags, err := s.cfg.Store.List(ctx, st.Name, q.kind, from, times[len(times)-1])
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(frags, func(a, b archive.Fragment) int { return compareInt64(startOf(a), startOf(b)) })
	out := make([]imageFrame, len(times))
	// chains[i] lists, in frags, the fragment holding times[i] and those
	// just before it where its key frame may be.
	chains := make([][]int, len(times))
	for i, t := range times {
		out[i] = imageFrame{time: t, error: imageNoMedia, stream: st.Name, spec: q.spec}
		j, _ := slices.BinarySearchFunc(frags, t+1, func(f archive.Fragment, v int64) int { return compareInt64(startOf(f), v) })
		for j--; j >= 0; j-- {
			if t-startOf(frags[j]) <= frags[j].DurationMillis {
				break
			}
		}
		if j < 0 {
			continue
		}
		chains[i] = append(chains[i], j)
		for p := j - 1; p >= 0 && len(chains[i]) <= imageLookback; p-- {
			prev, next := frags[p], frags[chains[i][len(chains[i])-1]]
			if startOf(prev)+prev.DurationMillis+contiguousSlack < startOf(next) {
				break
			}
			chains[i] = append(chains[i], p)
		}
	}
	tracks := map[*mkv.Header]*videoTrack{}
	loaded := map[int]*fragindex.Index{} // by index in frags
	// Round d looks in the d-th fragment of each chain still without a
	// frame, after reading the indexes that round needs.
	for d := 0; d <= imageLookback; d++ {
		var want []int
		for i, c := range chains {
			if len(c) > d && out[i].error == imageNoMedia {
				if _, ok := loaded[c[d]]; !ok && !slices.Contains(want, c[d]) {
					want = append(want, c[d])
				}
			}
		}
		if len(want) > 0 {
			fs := make([]archive.Fragment, len(want))
			for k, j := range want {
				fs[k] = frags[j]
			}
			idx, err := s.rd.Indexes(ctx, rq.Log, st, fs)
			if err != nil {
				return nil, err
			}
			for k, j := range want {
				loaded[j] = idx[k]
			}
		}
		for i, c := range chains {
			fr := &out[i]
			if len(c) <= d || fr.error != imageNoMedia {
				continue
			}
			f, x := frags[c[d]], loaded[c[d]]
			vt, ok := tracks[x.Header]
			if !ok {
				vt = imageTrack(x.Header)
				tracks[x.Header] = vt
			}
			if vt.err != nil {
				fr.error = imageMediaError
				chains[i] = nil
				rq.Log.Warn("GetImages: no picture in fragment", "fragment", f.Number, "err", vt.err)
				continue
			}
			offset := int64(math.MaxInt64) // an earlier fragment's last key frame
			if d == 0 {
				offset = fr.time - startOf(f)
			}
			k := keyFrameAt(x, vt.number, offset)
			if k < 0 {
				continue // on to the fragment before, if any
			}
			fr.error, fr.frag, fr.track, fr.smp = "", f, vt.track, x.Samples[k]
			fr.key = st.ARN + "/" + f.Number + "/" + strconv.Itoa(k)
			if q.heightOnly {
				fr.spec.Width = widthAt(vt.track, q.spec.Height)
			}
		}
	}
	return out, nil
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// videoTrack is the track of a header images come from, or why none can.
type videoTrack struct {
	number uint64
	track  *codec.Track
	err    error
}

// imageTrack finds a header's first video track in a codec ffmpeg is given
// to decode (H.264 or H.265).
func imageTrack(h *mkv.Header) *videoTrack {
	if h == nil {
		return &videoTrack{err: errors.New("the fragment has no tracks")}
	}
	for _, mt := range h.Tracks {
		if mt.Type != mkv.TrackTypeVideo {
			continue
		}
		ct, err := codec.ParseTrack(mt.CodecID, mt.CodecPrivate, codec.Hint{PixelWidth: mt.PixelWidth, PixelHeight: mt.PixelHeight})
		if err != nil {
			return &videoTrack{err: fmt.Errorf("track %d: %w", mt.Number, err)}
		}
		if ct.AVC == nil && ct.HEVC == nil {
			return &videoTrack{err: fmt.Errorf("track %d: %s has no image decoder here", mt.Number, mt.CodecID)}
		}
		return &videoTrack{number: mt.Number, track: ct}
	}
	return &videoTrack{err: errors.New("the fragment has no H.264 or H.265 video track")}
}

// keyFrameAt returns the index of the last key frame of track at or before
// offset ms from the fragment's start, or -1. A time before the fragment's
// first frame (a producer's clock often stamps the fragment a few ms
// before the frame it opens with) gets that frame when it is a key frame:
// the fragment begins with that picture.
func keyFrameAt(x *fragindex.Index, track uint64, offset int64) int {
	scale := int64(x.Header.TimecodeScale)
	if scale <= 0 {
		scale = 1e6
	}
	best, bestTime, first := -1, int64(math.MinInt64), -1
	for k, smp := range x.Samples {
		if smp.Track != track {
			continue
		}
		if first < 0 {
			first = k
		}
		if smp.Flags&fragindex.Keyframe == 0 {
			continue
		}
		ms := (smp.Time - x.Timecode) * scale / 1e6
		if ms <= offset && ms >= bestTime {
			best, bestTime = k, ms
		}
	}
	if best < 0 && first >= 0 && x.Samples[first].Flags&fragindex.Keyframe != 0 {
		return first
	}
	return best
}

// widthAt is the width that keeps the picture's aspect ratio at height h,
// rounded to the nearest pixel.
func widthAt(t *codec.Track, h int) int {
	if t.Width == 0 || t.Height == 0 {
		return h
	}
	return max(1, int((int64(t.Width)*int64(h)*2+int64(t.Height))/(2*int64(t.Height))))
}

// makeImages decodes a batch of frames at once (the decoder bounds the
// processes) and returns their entries in order.
func (s *Server) makeImages(ctx context.Context, rq *httpapi.Call, frames []imageFrame) []imageJSON {
	out := make([]imageJSON, len(frames))
	done := make(chan struct{})
	for i := range frames {
		go func() {
			defer func() { done <- struct{}{} }()
			out[i] = s.makeImage(ctx, rq, &frames[i])
		}()
	}
	for range frames {
		<-done
	}
	return out
}

// makeImage is one entry: the image, or NO_MEDIA or MEDIA_ERROR.
func (s *Server) makeImage(ctx context.Context, rq *httpapi.Call, fr *imageFrame) imageJSON {
	e := imageJSON{TimeStamp: kvs.Millis(fr.time), Error: fr.error}
	if fr.error != "" {
		return e
	}
	c := images.H264
	if fr.track.HEVC != nil {
		c = images.H265
	}
	load := func(ctx context.Context) ([]byte, error) {
		frame := make([]byte, fr.smp.Size)
		if err := s.readFrame(ctx, fr.stream, fr.frag, frame, fr.smp.Offset); err != nil {
			return nil, err
		}
		return annexBAccessUnit(fr.track, frame)
	}
	start := time.Now()
	img, err := s.images.Image(ctx, images.Key{Frame: fr.key, Spec: fr.spec}, c, load)
	if err != nil {
		if ctx.Err() == nil {
			rq.Log.Warn("GetImages: image not made", "fragment", fr.frag.Number, "offset", fr.smp.Offset, "err", err)
		}
		e.Error = imageMediaError
		return e
	}
	rq.Log.Debug("GetImages: image", "fragment", fr.frag.Number, "bytes", len(img), "duration", time.Since(start))
	e.ImageContent = base64.StdEncoding.EncodeToString(img)
	return e
}

// readFrame reads one frame's bytes: a ranged read of the stored document.
func (s *Server) readFrame(ctx context.Context, stream string, f archive.Fragment, b []byte, off int64) error {
	return s.rd.Source(stream, []archive.Fragment{f}).ReadAt(ctx, b, 0, off)
}
