package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/sigv4"
)

func TestSDKSignaturesAreChecked(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	for _, c := range []struct {
		name, id, secret string
		ok               bool
	}{
		{"right key", testKeyID, testSecret, true},
		{"wrong secret", testKeyID, "not-the-secret", false},
		{"unknown key", "AKIDOTHER", testSecret, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			kv, _ := sdkClients(r.url, c.id, c.secret)
			_, err := kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam")})
			if c.ok {
				require.NoError(t, err)
				return
			}
			var na *kvtypes.NotAuthorizedException
			require.ErrorAs(t, err, &na)
		})
	}
}

// signed sends a hand-made request signed at the given time; it returns
// the status and the X-Amzn-ErrorType.
func signed(t *testing.T, r *rig, path string, body []byte, payloadHash string, at time.Time) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if payloadHash == sigv4.UnsignedPayload {
		req.Header.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload)
	}
	if payloadHash != "" {
		require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), r.creds, req, payloadHash, sigv4.Service, testRegion, at))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType")
}

func TestSignatureRules(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	body := []byte(`{"StreamName":"cam"}`)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	wrong := sha256.Sum256([]byte("other"))
	for _, c := range []struct {
		name   string
		hash   string
		at     time.Time
		status int
	}{
		{"signed body", hash, time.Now(), 200},
		{"unsigned payload", sigv4.UnsignedPayload, time.Now(), 200},
		{"skew within 5 min", hash, time.Now().Add(-4 * time.Minute), 200},
		{"skew past 5 min", hash, time.Now().Add(-6 * time.Minute), 401},
		{"future past 5 min", hash, time.Now().Add(6 * time.Minute), 401},
		{"body hash of another body", hex.EncodeToString(wrong[:]), time.Now(), 401},
		{"no signature", "", time.Now(), 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, code := signed(t, r, "/describeStream", body, c.hash, c.at)
			assert.Equal(t, c.status, status)
			if c.status == 401 {
				assert.Equal(t, "NotAuthorizedException", code)
			}
		})
	}
}

func TestSignedPutMediaBody(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	data, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	req, err := http.NewRequest(http.MethodPost, r.url+"/putMedia", bytes.NewReader(data))
	require.NoError(t, err)
	req.Header.Set("x-amzn-stream-name", "cam")
	req.Header.Set("x-amzn-fragment-timecode-type", "RELATIVE")
	req.Header.Set("x-amzn-producer-start-timestamp", "1700000000.5")
	// A PutMedia signed over its body says so: without the header it is
	// signed over the empty payload, as the producer SDKs sign it.
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), r.creds, req, hex.EncodeToString(sum[:]), sigv4.Service, testRegion, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	acks, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, 9, strings.Count(string(acks), `"PERSISTED"`))
	frags, err := r.store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	require.Len(t, frags, 9)
	assert.Equal(t, int64(1700000000005), frags[0].ProducerMillis, "the C producer's .5 is 5 ms")
}

// TestNoCredentialsServesLoopbackOnly: without credentials the SDKs on
// this machine are served (TestIsLoopback checks the address test itself).
func TestNoCredentialsServesLoopbackOnly(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.Credentials = nil })
	_, err := r.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{})
	require.NoError(t, err)
}
