package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server/httpapi"
)

const (
	testKeyID  = "AKIDSIGV4TEST"
	testSecret = "sigv4-test-secret"
	testRegion = "us-west-2"
)

// now is the verifier's clock in these tests: signatures are made at it.
var now = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func testVerifier() *Verifier {
	return &Verifier{
		Credentials: Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		Region:      testRegion, MaxClockSkew: 5 * time.Minute, Now: func() time.Time { return now },
		MaxBody: 1 << 20, MaxSignedStreamBody: 1 << 20, StreamIdleTimeout: time.Minute, StreamMinBytes: 1,
	}
}

// code is the exception err answers with, "" for none.
func code(err error) string {
	if err == nil {
		return ""
	}
	return httpapi.From(err).Code
}

const refused = "NotAuthorizedException"

// TestVerifyJSON: the SDK's signature over a JSON body is accepted as made,
// and refused for another secret, region, time, token or body.
func TestVerifyJSON(t *testing.T) {
	body := `{"StreamName":"cam"}`
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	for _, c := range []struct {
		name, secret, region, token, payload string
		at                                   time.Time
		sent                                 string // the body sent, when not the signed one
		want                                 string
	}{
		{name: "signed body", payload: hash},
		{name: "unsigned payload", payload: UnsignedPayload},
		{name: "skew within", payload: hash, at: now.Add(-4 * time.Minute)},
		{name: "skew past", payload: hash, at: now.Add(-6 * time.Minute), want: refused},
		{name: "future past", payload: hash, at: now.Add(6 * time.Minute), want: refused},
		{name: "wrong secret", secret: "other", payload: hash, want: refused},
		{name: "other region", region: "eu-west-1", payload: hash, want: refused},
		{name: "token not issued", token: "tok", payload: hash, want: refused},
		{name: "another body", payload: hash, sent: `{"StreamName":"dog"}`, want: refused},
	} {
		t.Run(c.name, func(t *testing.T) {
			sent := body
			if c.sent != "" {
				sent = c.sent
			}
			r := httptest.NewRequest(http.MethodPost, "http://kvs.test/describeStream", strings.NewReader(sent))
			if c.payload == UnsignedPayload {
				r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
			}
			creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: or(c.secret, testSecret), SessionToken: c.token}
			at := c.at
			if at.IsZero() {
				at = now
			}
			require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, r, c.payload, Service, or(c.region, testRegion), at))
			err := testVerifier().Verify(r)
			assert.Equal(t, c.want, code(err), "%v", err)
			if err == nil {
				got, _ := io.ReadAll(r.Body)
				assert.Equal(t, body, string(got), "the body is put back for the handler")
			}
		})
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestVerifyCoverage: a signature must cover Host and X-Amz-Date, and a
// streaming request's header naming its stream.
func TestVerifyCoverage(t *testing.T) {
	signer := Signer{Credentials: Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, Region: testRegion}
	sign := func(r *http.Request, payload string, headers ...string) {
		amzDate := now.Format(DateLayout)
		r.Header.Set("X-Amz-Date", amzDate)
		auth, _ := signer.Authorization(amzDate, headers, CanonicalRequest(r, headers, payload))
		r.Header.Set("Authorization", auth)
	}
	for _, c := range []struct {
		name      string
		streaming bool
		headers   []string
		want      string
	}{
		{"host and date", false, []string{"host", "x-amz-date"}, ""},
		{"no host", false, []string{"x-amz-date"}, "The signature must cover the host header."},
		{"no date", false, []string{"host"}, "The signature must cover the x-amz-date header."},
		{"stream named and signed", true, []string{"host", "x-amz-date", "x-amzn-stream-name"}, ""},
		{"stream named, unsigned", true, []string{"host", "x-amz-date"}, "The signature must cover the x-amzn-stream-name header."},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://kvs.test/putMedia", strings.NewReader("{}"))
			payload := UnsignedPayload
			r.Header.Set("X-Amz-Content-Sha256", payload)
			var err error
			if c.streaming {
				r.Header.Set("x-amzn-stream-name", "cam")
				sign(r, payload, c.headers...)
				err = testVerifier().VerifyStream(httptest.NewRecorder(), r)
			} else {
				sign(r, payload, c.headers...)
				err = testVerifier().Verify(r)
			}
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, refused, code(err))
			assert.Equal(t, c.want, httpapi.From(err).Message)
		})
	}
}

// TestVerifyPresigned: the SDK's presigned URLs, over the empty body's
// hash or UNSIGNED-PAYLOAD, within their expiry.
func TestVerifyPresigned(t *testing.T) {
	for _, c := range []struct {
		name, payload, expires string
		at                     time.Time
		want                   string
	}{
		{"empty payload hash", EmptyPayloadHash, "300", now, ""},
		{"unsigned payload", UnsignedPayload, "300", now, ""},
		{"expired", EmptyPayloadHash, "60", now.Add(-2 * time.Minute), refused},
		{"expiry past seven days", EmptyPayloadHash, "604801", now, refused},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://kvs.test/clips/cam.mp4?start=1&end=2&X-Amz-Expires="+c.expires, nil)
			creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
			u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, c.payload, Service, testRegion, c.at)
			require.NoError(t, err)
			assert.Equal(t, c.want, code(testVerifier().VerifyPresigned(httptest.NewRequest(http.MethodGet, u, nil))))
		})
	}
}

// TestVerifyStreamBodies: what VerifyStream hands on of a body signed with
// its hash or chunk by chunk is the signed bytes, and no other.
func TestVerifyStreamBodies(t *testing.T) {
	data := bytes.Repeat([]byte("fragment "), 30000)
	signer := Signer{Credentials: Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, Region: testRegion}
	amzDate := now.Format(DateLayout)
	signed := []string{"host", "x-amz-date"}
	request := func(payload string, body []byte) (*http.Request, string) {
		r := httptest.NewRequest(http.MethodPost, "http://kvs.test/putMedia", bytes.NewReader(body))
		r.Header.Set("X-Amz-Date", amzDate)
		r.Header.Set("X-Amz-Content-Sha256", payload)
		auth, seed := signer.Authorization(amzDate, signed, CanonicalRequest(r, signed, payload))
		r.Header.Set("Authorization", auth)
		return r, seed
	}
	t.Run("hashed", func(t *testing.T) {
		sum := sha256.Sum256(data)
		r, _ := request(hex.EncodeToString(sum[:]), data)
		require.NoError(t, testVerifier().VerifyStream(httptest.NewRecorder(), r))
		got, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got))
		r.Body.Close()

		r, _ = request(hex.EncodeToString(sum[:]), append(bytes.Clone(data), '!'))
		assert.Equal(t, refused, code(testVerifier().VerifyStream(httptest.NewRecorder(), r)))
	})
	t.Run("aws-chunked", func(t *testing.T) {
		for _, alter := range []bool{false, true} {
			r, seed := request(StreamingPayload, nil)
			var body bytes.Buffer
			prev := seed
			for rest := data; ; {
				n := min(64<<10, len(rest))
				sig := signer.ChunkSignature(amzDate, prev, rest[:n])
				fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n%s\r\n", n, sig, rest[:n])
				prev, rest = sig, rest[n:]
				if n == 0 {
					break
				}
			}
			b := body.Bytes()
			if alter {
				b[len(b)-200] ^= 1 // in the last chunk of data
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			require.NoError(t, testVerifier().VerifyStream(httptest.NewRecorder(), r))
			got, err := io.ReadAll(r.Body)
			if alter {
				assert.ErrorIs(t, err, ErrChunkSignature)
				assert.Less(t, len(got), len(data), "the altered chunk is not handed out")
				continue
			}
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, got))
		}
	})
}
