package sigv4

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChunkSignatureKnownAnswer: the chunk signatures of the example in
// Amazon S3's SigV4 streaming documentation (64 KiB and 1 KiB of 'a', and
// the final chunk) verify, and altering one byte does not.
func TestChunkSignatureKnownAnswer(t *testing.T) {
	const (
		secret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		amzDate = "20130524T000000Z"
		seed    = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	)
	chunks := []struct {
		size int
		sig  string
	}{
		{65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"},
		{1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"},
		{0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"},
	}
	var body bytes.Buffer
	for _, c := range chunks {
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n%s\r\n", c.size, c.sig, strings.Repeat("a", c.size))
	}
	h := claim{date: amzDate[:8], region: "us-east-1", service: "s3", amzDate: amzDate}
	read := func(b []byte) ([]byte, error) {
		cr := &chunkReader{br: bufio.NewReader(bytes.NewReader(b)), key: signingKey(secret, h.date, h.region, h.service),
			amzDate: amzDate, scope: h.scope(), prev: seed, want: 65536 + 1024}
		return io.ReadAll(cr)
	}
	out, err := read(body.Bytes())
	require.NoError(t, err)
	assert.Equal(t, 65536+1024, len(out))
	altered := bytes.Clone(body.Bytes())
	altered[len(altered)/2] = 'b'
	out, err = read(altered)
	assert.ErrorIs(t, err, ErrChunkSignature)
	assert.Len(t, out, 0, "no byte of an unverified chunk is handed out")
}
