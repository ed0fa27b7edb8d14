package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/sigv4"
)

// awsChunked encodes data as aws-chunked chunks of size bytes signed from
// seed, as an SDK's streaming signer does.
func awsChunked(data []byte, size int, amzDate, seed string) []byte {
	var out bytes.Buffer
	prev := seed
	for {
		n := min(size, len(data))
		sig := testSigner().ChunkSignature(amzDate, prev, data[:n])
		fmt.Fprintf(&out, "%x;chunk-signature=%s\r\n", n, sig)
		out.Write(data[:n])
		out.WriteString("\r\n")
		prev = sig
		if n == 0 {
			return out.Bytes()
		}
		data = data[n:]
	}
}

// countingServer serves r's server behind a handler that counts the body
// bytes the server reads.
func countingServer(t *testing.T, r *rig) (string, *atomic.Int64) {
	var n atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		req.Body = countingBody{req.Body, &n}
		r.srv.ServeHTTP(w, req)
	}))
	t.Cleanup(hs.Close)
	return hs.URL, &n
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// zeros is an endless body of zero bytes, n of them.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), z.n))
	clear(p[:k])
	z.n -= int64(k)
	return k, nil
}

// signedPut builds a PutMedia of body on stream cam, signed over payload
// (a mode or a body hash) with secret.
func signedPut(t *testing.T, url string, body io.Reader, length int64, payload, secret string, at time.Time) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url+"/putMedia", body)
	require.NoError(t, err)
	req.ContentLength = length
	req.Header.Set("x-amzn-stream-name", "cam")
	req.Header.Set("x-amzn-fragment-timecode-type", "RELATIVE")
	req.Header.Set("x-amzn-producer-start-timestamp", "1700000000.000")
	req.Header.Set("X-Amz-Content-Sha256", payload)
	creds := testCreds()
	creds.SecretAccessKey = secret
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, sigv4.Service, testRegion, at))
	return req
}

// TestPutMediaSignatureBeforeBody: a PutMedia whose signature is wrong is
// refused before its body is read, whatever it claims its body is; one
// whose body is not the signed one stores nothing.
func TestPutMediaSignatureBeforeBody(t *testing.T) {
	const big = 64 << 20
	other := sha256.Sum256([]byte("another body"))
	for _, c := range []struct {
		name, payload, secret string
		size                  int64
		status                int
	}{
		{"hash claimed, wrong secret", hex.EncodeToString(other[:]), "not-the-secret", big, 401},
		{"chunked, wrong secret", sigv4.StreamingPayload, "not-the-secret", big, 401},
		{"hash of another body", hex.EncodeToString(other[:]), testSecret, 1 << 20, 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			r.createStream("cam", 1)
			url, read := countingServer(t, r)
			req := signedPut(t, url, &zeros{c.size}, c.size, c.payload, c.secret, time.Now())
			resp, err := http.DefaultClient.Do(req)
			if err == nil { // else the server closed on the unread body
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				assert.Equal(t, c.status, resp.StatusCode)
			}
			if c.secret != testSecret {
				// What net/http drains of an unread body to reuse the
				// connection (256 KiB) at most: nothing was spooled.
				assert.LessOrEqual(t, read.Load(), int64(256<<10)+64<<10, "body bytes read before the signature was checked")
			}
			frags, err := r.store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
			require.NoError(t, err)
			assert.Empty(t, frags)
		})
	}
}

// TestPutMediaAWSChunked: a PutMedia signed chunk by chunk
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) is stored whole; when a chunk was
// altered, the fragments before it are stored and none from it on.
func TestPutMediaAWSChunked(t *testing.T) {
	data, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	const chunk = 64 << 10
	for _, c := range []struct {
		name  string
		alter int // the chunk whose data is altered; -1 for none
	}{
		{"intact", -1},
		{"a chunk altered", len(data) / chunk / 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			r.createStream("cam", 1)
			at := time.Now().UTC()
			// The seed signature is the request's own, made before the
			// body, over its length (which the chunk sizes fix).
			length := len(awsChunked(data, chunk, at.Format(sigv4.DateLayout), sigv4.EmptyPayloadHash))
			req := signedPut(t, r.url, nil, int64(length), sigv4.StreamingPayload, testSecret, at)
			auth := req.Header.Get("Authorization")
			seed := auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]
			body := awsChunked(data, chunk, at.Format(sigv4.DateLayout), seed)
			want := 9
			if c.alter >= 0 {
				// Flip a data byte of chunk c.alter (each chunk's framing is
				// its 5 hex digits, the signature and two CRLFs).
				framing := len("10000;chunk-signature=") + 64 + 4
				body[c.alter*(chunk+framing)+framing-2+10] ^= 0xff
				want = fragmentsBefore(t, data, int64(c.alter*chunk))
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			acks, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, 200, resp.StatusCode, string(acks))
			assert.Equal(t, want, strings.Count(string(acks), `"PERSISTED"`), string(acks))
			frags, err := r.store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
			require.NoError(t, err)
			assert.Len(t, frags, want)
			if c.alter >= 0 {
				assert.Contains(t, string(acks), `"ERROR"`)
			}
		})
	}
}

// fragmentsBefore counts the fragments of data that end by off.
func fragmentsBefore(t *testing.T, data []byte, off int64) int {
	rd := mkv.NewBytesReader(data)
	n := 0
	for {
		f, err := rd.Next()
		if err == io.EOF {
			return n
		}
		require.NoError(t, err)
		if f.Offset+f.Size > off {
			return n
		}
		n++
	}
}

func testCreds() aws.Credentials {
	return aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
}

// testSigner signs with the test credentials in the test region, where the
// SDK's signer cannot: chosen headers, aws-chunked chunks.
func testSigner() sigv4.Signer {
	return sigv4.Signer{Credentials: sigv4.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, Region: testRegion}
}
