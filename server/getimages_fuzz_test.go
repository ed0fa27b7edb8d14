package server

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
)

// FuzzImagesToken: any NextToken either decodes to a sample inside the
// window it names, re-encoding to itself, or is refused with
// InvalidArgument; it never panics.
func FuzzImagesToken(f *testing.F) {
	for _, seed := range []imagesToken{
		{archive.ByProducer, 1703120790149, 1703120840149, 3000, 1},
		{archive.ByServer, -5000, 0, 20000, 1},
		{archive.ByServer, -9223372036854775808, 9223372036854775807, 3000, 3074457345618258602},
	} {
		f.Add(seed.encode())
	}
	f.Add(base64.StdEncoding.EncodeToString([]byte("i1 0 0 0 3000 1")))
	f.Add(base64.StdEncoding.EncodeToString([]byte("i1 2 0 10000 3000 1")))
	f.Add("aTEgMCAwIDEwMDAwIDMwMDAgMQ")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := decodeImagesToken(s)
		if err != nil {
			require.Equal(t, "InvalidArgumentException", toAPIError(err).Code)
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
		{archive.ByProducer, 1703120790149, 1703120840149, 3000, 16},
		{archive.ByServer, 0, 3000, 3000, 1},
	} {
		got, err := decodeImagesToken(tok.encode())
		require.NoError(t, err)
		assert.Equal(t, tok, got)
	}
	for _, bad := range []imagesToken{
		{archive.ByProducer, 0, 3000, 3000, 2}, // past the window
		{archive.ByProducer, 0, 3000, 3000, 0}, // the first page needs none
		{archive.ByProducer, 0, 3000, 2999, 1}, // interval below the model's
		{archive.ByProducer, 10, 0, 3000, 1},   // end before start
		{archive.TimestampKind(7), 0, 9000, 3000, 1},
	} {
		_, err := decodeImagesToken(bad.encode())
		assert.Error(t, err, "%+v", bad)
	}
}
