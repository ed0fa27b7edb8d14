package images

import (
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// GetImages' limits, from the API model, besides the sampling interval
// and image size it shares with the image-generation configuration
// (below, and package control's streamconfigs.go).
const (
	maxImagesPerPage   = 100
	defaultJPEGQuality = 80
)

// The model's limits GetImages shares with ImageGenerationConfiguration
// (kvs holds them for both).
const (
	minSampling    = kvs.MinSamplingInterval
	maxSampling    = kvs.MaxSamplingInterval
	maxImageWidth  = kvs.MaxImageWidth
	maxImageHeight = kvs.MaxImageHeight
)

// imagesQuery is a checked GetImages request.
type imagesQuery struct {
	kind kvs.Selector
	// start and end (ms, inclusive) and interval (ms) fix the sample
	// times start + k*interval.
	start, end, interval int64
	spec                 Spec
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
	switch Format(in.Format) {
	case JPEG, PNG:
		q.spec.Format = Format(in.Format)
	default:
		return nil, httpapi.InvalidArg("Format must be JPEG or PNG.")
	}
	quality, err := jpegQuality(in.FormatConfig)
	if err != nil {
		return nil, err
	}
	if q.spec.Format == JPEG {
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
		if err := httpapi.FieldPageToken.Check(in.NextToken); err != nil {
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
