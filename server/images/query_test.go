package images

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// FuzzImagesToken: any NextToken either decodes to a sample inside the
// window it names, re-encoding to itself, or is refused with
// InvalidArgument; it never panics.
func FuzzImagesToken(f *testing.F) {
	for _, seed := range []imagesToken{
		{kvs.ProducerTimestamp, 1703120790149, 1703120840149, 3000, 1},
		{kvs.ServerTimestamp, -5000, 0, 20000, 1},
		{kvs.ServerTimestamp, -9223372036854775808, 9223372036854775807, 3000, 3074457345618258602},
	} {
		f.Add(seed.encode())
	}
	f.Add(base64.StdEncoding.EncodeToString([]byte("i1 PRODUCER_TIMESTAMP 0 0 3000 1")))
	f.Add(base64.StdEncoding.EncodeToString([]byte("i1 LATEST 0 10000 3000 1")))
	f.Add("aTEgMCAwIDEwMDAwIDMwMDAgMQ")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := decodeImagesToken(s)
		if err != nil {
			require.Equal(t, "InvalidArgumentException", httpapi.From(err).Code)
			return
		}
		assert.Equal(t, s, tok.encode())
		q := imagesQuery{start: tok.start, end: tok.end, interval: tok.interval}
		require.Positive(t, tok.next)
		require.Less(t, tok.next, q.samples())
		// The sample it names lies in the window.
		at := tok.start + tok.next*tok.interval
		require.GreaterOrEqual(t, at, tok.start)
		require.LessOrEqual(t, at, tok.end)
	})
}

func TestImagesTokenRoundTrip(t *testing.T) {
	for _, tok := range []imagesToken{
		{kvs.ProducerTimestamp, 1703120790149, 1703120840149, 3000, 16},
		{kvs.ServerTimestamp, 0, 3000, 3000, 1},
	} {
		got, err := decodeImagesToken(tok.encode())
		require.NoError(t, err)
		assert.Equal(t, tok, got)
	}
	for _, bad := range []imagesToken{
		{kvs.ProducerTimestamp, 0, 3000, 3000, 2}, // past the window
		{kvs.ProducerTimestamp, 0, 3000, 3000, 0}, // the first page needs none
		{kvs.ProducerTimestamp, 0, 3000, 2999, 1}, // interval below the model's
		{kvs.ProducerTimestamp, 10, 0, 3000, 1},   // end before start
		{kvs.Selector("NOW"), 0, 9000, 3000, 1},
	} {
		_, err := decodeImagesToken(bad.encode())
		assert.Error(t, err, "%+v", bad)
	}
}

// FuzzGetImagesInput: any GetImages body is a query within the model's
// limits or an InvalidArgument; never a panic.
func FuzzGetImagesInput(f *testing.F) {
	for _, seed := range []string{
		`{"ImageSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":1703120790.149,"EndTimestamp":1703120840.149,"SamplingInterval":3000,"Format":"JPEG"}`,
		`{"ImageSelectorType":"SERVER_TIMESTAMP","StartTimestamp":0,"EndTimestamp":1e9,"SamplingInterval":20000,"Format":"PNG","HeightPixels":54,"MaxResults":100}`,
		`{"ImageSelectorType":"SERVER_TIMESTAMP","StartTimestamp":0,"EndTimestamp":9,"SamplingInterval":3000,"Format":"JPEG","FormatConfig":{"JPEGQuality":"1"},"WidthPixels":3840,"HeightPixels":2160}`,
		`{"ImageSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":0,"EndTimestamp":9,"SamplingInterval":3000,"Format":"JPEG","NextToken":"aTEgUFJPRFVDRVJfVElNRVNUQU1QIDAgOTAwMCAzMDAwIDE="}`,
		`{"ImageSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":-9e15,"EndTimestamp":9e15,"SamplingInterval":3000,"Format":"PNG","FormatConfig":{}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in getImagesInput
		if json.Unmarshal(body, &in) != nil {
			return
		}
		q, err := parseImagesQuery(&in)
		if err != nil {
			require.Equal(t, "InvalidArgumentException", httpapi.From(err).Code)
			return
		}
		require.LessOrEqual(t, q.start, q.end)
		require.True(t, q.interval >= minSampling && q.interval <= maxSampling)
		require.True(t, q.limit >= 1 && q.limit <= maxImagesPerPage)
		require.True(t, q.first >= 0 && q.first < q.samples())
		require.True(t, q.spec.Width >= 0 && q.spec.Width <= maxImageWidth && q.spec.Height >= 0 && q.spec.Height <= maxImageHeight)
		require.Equal(t, q.spec.Width == 0 && q.spec.Height > 0, q.heightOnly)
		if q.spec.Format == "JPEG" {
			require.True(t, q.spec.Quality >= 1 && q.spec.Quality <= 100)
		}
	})
}
