package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// maxAWSChunk bounds one aws-chunked chunk: it is held, unused, until its
// signature is checked at its end. The SDKs send 64 to 128 KiB chunks;
// 1 MiB leaves room and bounds a session's unverified bytes.
const maxAWSChunk = 1 << 20

// chunkAlgorithm opens the string each chunk's signature is made over.
const chunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD"

// ErrChunkSignature is a chunk whose signature does not verify: the body
// was altered after it was signed, or not signed by the key. It ends the
// body VerifyStream hands on.
var ErrChunkSignature = errors.New("aws-chunked: a chunk's signature does not match")

// chunkReader decodes an aws-chunked body (STREAMING-AWS4-HMAC-SHA256-
// PAYLOAD): each chunk is "hex-size;chunk-signature=sig\r\n", the data and
// "\r\n", and a zero-size chunk ends the body. A chunk's bytes are handed
// out only once its signature, chained from the previous chunk's, is
// verified; a bad chunk ends the body with ErrChunkSignature.
type chunkReader struct {
	br             *bufio.Reader
	key            []byte
	amzDate, scope string
	prev           string // the previous chunk's signature, or the seed
	// want is x-amz-decoded-content-length, -1 when not given; got is
	// the data bytes so far.
	want, got int64
	data      []byte // a verified chunk's bytes not yet read
	buf       []byte
	err       error // sticky
}

func (v *Verifier) newChunkReader(body io.Reader, h *claim) *chunkReader {
	return &chunkReader{
		br:      bufio.NewReader(body),
		key:     signingKey(v.Credentials.SecretAccessKey, h.date, h.region, h.service),
		amzDate: h.amzDate, scope: h.scope(),
		prev: hex.EncodeToString(h.signature),
		want: -1,
	}
}

// setDecodedLength records x-amz-decoded-content-length when present.
func (c *chunkReader) setDecodedLength(r *http.Request) {
	if n, err := strconv.ParseInt(r.Header.Get("x-amz-decoded-content-length"), 10, 64); err == nil && n >= 0 {
		c.want = n
	}
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.data) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.err = c.next()
	}
	n := copy(p, c.data)
	c.data = c.data[n:]
	return n, nil
}

// Close lets the chunk reader stand for the request body.
func (c *chunkReader) Close() error { return nil }

// next reads and verifies one chunk; io.EOF after the final one.
func (c *chunkReader) next() error {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return chunkErr(err)
	}
	size, sig, err := parseChunkHeader(line)
	if err != nil {
		return err
	}
	if size > maxAWSChunk {
		return fmt.Errorf("aws-chunked: a chunk of %d bytes is over the %d-byte limit", size, maxAWSChunk)
	}
	if cap(c.buf) < int(size)+2 {
		c.buf = make([]byte, size+2)
	}
	c.buf = c.buf[:size+2]
	if _, err := io.ReadFull(c.br, c.buf); err != nil {
		return chunkErr(err)
	}
	if !bytes.HasSuffix(c.buf, []byte("\r\n")) {
		return errors.New("aws-chunked: a chunk does not end with CRLF")
	}
	data := c.buf[:size]
	if !hmac.Equal(hmacSHA256(c.key, chunkStringToSign(c.amzDate, c.scope, c.prev, data)), sig) {
		return ErrChunkSignature
	}
	c.prev = hex.EncodeToString(sig)
	c.got += size
	if size == 0 {
		if c.want >= 0 && c.got != c.want {
			return fmt.Errorf("aws-chunked: %d bytes, not the %d of x-amz-decoded-content-length", c.got, c.want)
		}
		return io.EOF
	}
	c.data = data
	return nil
}

// chunkErr is a read error inside the chunk framing: an end there is a
// body cut short, not a complete one.
func chunkErr(err error) error {
	if err == io.EOF || errors.Is(err, bufio.ErrBufferFull) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseChunkHeader reads "hex-size;chunk-signature=hex-sig\r\n".
func parseChunkHeader(line []byte) (int64, []byte, error) {
	bad := errors.New("aws-chunked: malformed chunk header")
	line, ok := bytes.CutSuffix(line, []byte("\r\n"))
	if !ok {
		return 0, nil, bad
	}
	sizeHex, ext, ok := bytes.Cut(line, []byte(";"))
	if !ok || len(sizeHex) == 0 || len(sizeHex) > 16 {
		return 0, nil, bad
	}
	size, err := strconv.ParseInt(string(sizeHex), 16, 64)
	if err != nil || size < 0 {
		return 0, nil, bad
	}
	sigHex, ok := bytes.CutPrefix(ext, []byte("chunk-signature="))
	if !ok {
		return 0, nil, bad
	}
	sig, err := hex.DecodeString(string(sigHex))
	if err != nil || len(sig) != sha256.Size {
		return 0, nil, bad
	}
	return size, sig, nil
}

// chunkStringToSign is what a chunk's signature is the HMAC of: it names
// the previous signature, so chunks cannot be dropped or reordered.
func chunkStringToSign(amzDate, scope, prev string, data []byte) string {
	sum := sha256.Sum256(data)
	return chunkAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + EmptyPayloadHash + "\n" + hex.EncodeToString(sum[:])
}
