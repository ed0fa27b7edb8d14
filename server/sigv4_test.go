package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/sigv4"
)

// do sends req and returns its status and X-Amzn-ErrorType.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType")
}

// signOnly signs req over the given headers alone with the test
// credentials, as a client that leaves others out would: the signature is
// right, what it covers is not enough.
func signOnly(t *testing.T, req *http.Request, body []byte, headers ...string) {
	t.Helper()
	amzDate := time.Now().UTC().Format(sigv4.DateLayout)
	req.Header.Set("X-Amz-Date", amzDate)
	sum := sha256.Sum256(body)
	canon := sigv4.CanonicalRequest(req, headers, hex.EncodeToString(sum[:]))
	auth, _ := testSigner().Authorization(amzDate, headers, canon)
	req.Header.Set("Authorization", auth)
}

// TestSigV4Coverage: a signature must cover Host (or it replays to any
// endpoint) and X-Amz-Date (or it replays at any time), and a PutMedia's
// the header naming its stream.
func TestSigV4Coverage(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	body := []byte(`{"StreamName":"cam"}`)
	for _, c := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"host and date", []string{"host", "x-amz-date"}, 200},
		{"no host", []string{"content-type", "x-amz-date"}, 401},
		{"no date", []string{"host"}, 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, r.url+"/describeStream", bytes.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			signOnly(t, req, body, c.headers...)
			status, _ := do(t, req)
			assert.Equal(t, c.status, status)
		})
	}
	for _, header := range []string{"x-amzn-stream-name", "x-amzn-stream-arn"} {
		t.Run("putmedia with "+header+" unsigned", func(t *testing.T) {
			arn, err := r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam")})
			require.NoError(t, err)
			req, err := http.NewRequest(http.MethodPost, r.url+"/putMedia", strings.NewReader("not read"))
			require.NoError(t, err)
			req.Header.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload)
			req.Header.Set("x-amzn-fragment-timecode-type", "ABSOLUTE")
			require.NoError(t, v4.NewSigner().SignHTTP(bg, r.creds, req, sigv4.UnsignedPayload, sigv4.Service, testRegion, time.Now()))
			// Added after signing: a captured request pointed elsewhere.
			value := "cam"
			if header == "x-amzn-stream-arn" {
				value = *arn.StreamInfo.StreamARN
			}
			req.Header.Set(header, value)
			status, code := do(t, req)
			assert.Equal(t, 401, status)
			assert.Equal(t, "NotAuthorizedException", code)
		})
	}
}

// TestSigV4RegionAndToken: the scope's region is the server's, and a
// session token is checked when the credentials have one.
func TestSigV4RegionAndToken(t *testing.T) {
	for _, c := range []struct {
		name          string
		serverToken   string
		region, token string
		ok            bool
	}{
		{"server region", "", testRegion, "", true},
		{"other region", "", "eu-central-1", "", false},
		{"token where none is issued", "", testRegion, "tok", false},
		{"right token", "tok-1", testRegion, "tok-1", true},
		{"wrong token", "tok-1", testRegion, "tok-2", false},
		{"missing token", "tok-1", testRegion, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, func(cfg *server.Config) { cfg.Credentials.SessionToken = c.serverToken })
			prov := credentials.NewStaticCredentialsProvider(testKeyID, testSecret, c.token)
			kv := kinesisvideo.New(kinesisvideo.Options{Region: c.region, BaseEndpoint: aws.String(r.url), Credentials: prov, RetryMaxAttempts: 1, HTTPClient: sdkHTTPClient})
			_, err := kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{})
			if c.ok {
				require.NoError(t, err)
				return
			}
			var ae smithy.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "NotAuthorizedException", ae.ErrorCode())
		})
	}
}

// TestPresignedClipURL: the Go SDK's presigner, over the empty body's
// hash as botocore and the JS SDK presign, or over UNSIGNED-PAYLOAD; with
// a session token in the query; never in another region or once expired.
func TestPresignedClipURL(t *testing.T) {
	r := newRig(t, func(cfg *server.Config) { cfg.Credentials.SessionToken = "tok" })
	prov := credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "tok")
	kv := kinesisvideo.New(kinesisvideo.Options{Region: testRegion, BaseEndpoint: aws.String(r.url), Credentials: prov, RetryMaxAttempts: 1, HTTPClient: sdkHTTPClient})
	_, err := kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), DataRetentionInHours: aws.Int32(24)})
	require.NoError(t, err)
	base := r.url + "/clips/cam.mp4?start=1700000000&end=1700000060"
	for _, c := range []struct {
		name, payload, region, token string
		expires                      string
		status                       int
	}{
		{"empty payload hash", sigv4.EmptyPayloadHash, testRegion, "tok", "300", 404},
		{"unsigned payload", sigv4.UnsignedPayload, testRegion, "tok", "300", 404},
		{"other region", sigv4.EmptyPayloadHash, "eu-west-1", "tok", "300", 401},
		{"no token", sigv4.EmptyPayloadHash, testRegion, "", "300", 401},
		{"expired", sigv4.EmptyPayloadHash, testRegion, "tok", "1", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, base, nil)
			require.NoError(t, err)
			q := req.URL.Query()
			q.Set("X-Amz-Expires", c.expires)
			req.URL.RawQuery = q.Encode()
			at := time.Now()
			if c.expires == "1" {
				at = at.Add(-time.Minute)
			}
			creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: c.token}
			u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, c.payload, sigv4.Service, c.region, at)
			require.NoError(t, err)
			resp, body := get(t, u, nil)
			// 404: past the signature, there is no clip in an empty stream.
			assert.Equal(t, c.status, resp.StatusCode, string(body))
		})
	}
}
