package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server/archived"
	"github.com/kvsclip/kvsclip/server/sigv4"
)

// presign returns url signed in its query string by the test credentials.
func presign(t *testing.T, r *rig, method, url string) string {
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	// The signer takes the lifetime from the query.
	q := req.URL.Query()
	q.Set("X-Amz-Expires", "300")
	req.URL.RawQuery = q.Encode()
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), r.creds, req, sigv4.UnsignedPayload, sigv4.Service, testRegion, time.Now())
	require.NoError(t, err)
	return signed
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, []byte) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// TestClipURL: GET /clips/{stream}.mp4 answers with the same clip as
// GetClip, with its size, ETag and provenance; Range requests at random
// offsets return exactly those bytes of the full answer; the URL works
// presigned, and not unsigned.
func TestClipURL(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	nums := persisted(r.putFile("cam", "RELATIVE", start, producerFile(t, "vogels_480.mkv")))
	require.Len(t, nums, 9)
	from, to := start.Unix(), start.Add(time.Hour).Unix()
	base := fmt.Sprintf("%s/clips/cam.mp4?start=%d&end=%d", r.url, from, to)

	resp, _ := get(t, base, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "unsigned, with credentials configured")

	// GetClip through the SDK answers with the progressive MP4 by default.
	out, err := r.media.GetClip(bg, &am.GetClipInput{StreamName: aws.String("cam"), ClipFragmentSelector: &amtypes.ClipFragmentSelector{
		FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp,
		TimestampRange:       &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Hour))}}})
	require.NoError(t, err)
	viaSDK := readAll(t, out.Payload)
	assert.Equal(t, "ftyp", string(viaSDK[4:8]))
	assert.Equal(t, "moov", string(viaSDK[bigEndian32(viaSDK)+4:][:4]), "moov right after ftyp")

	resp, full := get(t, presign(t, r, http.MethodGet, base), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(full))
	require.Equal(t, len(viaSDK), len(full))
	assert.True(t, bytes.Equal(viaSDK, full), "the URL gives GetClip's clip")
	assert.Equal(t, strconv.Itoa(len(full)), resp.Header.Get("Content-Length"))
	assert.Equal(t, "bytes", resp.Header.Get("Accept-Ranges"))
	etag := resp.Header.Get("ETag")
	assert.NotEmpty(t, etag)
	assert.Equal(t, nums[0], resp.Header.Get(archived.HeaderFirstFragment))
	assert.Equal(t, nums[len(nums)-1], resp.Header.Get(archived.HeaderLastFragment))
	assert.Equal(t, "1714564800.000", resp.Header.Get(archived.HeaderFirstProducer))
	assert.NotEmpty(t, resp.Header.Get(archived.HeaderFirstServer))
	assert.Equal(t, "9", resp.Header.Get(archived.HeaderFragments))
	assert.Equal(t, "0", resp.Header.Get(archived.HeaderDuplicatesDropped))
	assert.Equal(t, "false", resp.Header.Get(archived.HeaderTruncated))
	assert.Empty(t, resp.Header.Get(archived.HeaderNextStartTimestamp))

	rng := rand.New(rand.NewPCG(3, 4))
	n := int64(len(full))
	for range 12 {
		a := rng.Int64N(n)
		b := a + rng.Int64N(n-a)
		resp, part := get(t, presign(t, r, http.MethodGet, base), map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", a, b)})
		require.Equal(t, http.StatusPartialContent, resp.StatusCode)
		assert.Equal(t, fmt.Sprintf("bytes %d-%d/%d", a, b, n), resp.Header.Get("Content-Range"))
		assert.Equal(t, etag, resp.Header.Get("ETag"))
		require.True(t, bytes.Equal(full[a:b+1], part), "range %d-%d", a, b)
	}
	resp, part := get(t, presign(t, r, http.MethodGet, base), map[string]string{"Range": "bytes=-100"})
	assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.True(t, bytes.Equal(full[n-100:], part))
	resp, _ = get(t, presign(t, r, http.MethodGet, base), map[string]string{"Range": fmt.Sprintf("bytes=%d-", n)})
	assert.Equal(t, http.StatusRequestedRangeNotSatisfiable, resp.StatusCode)
	assert.Equal(t, fmt.Sprintf("bytes */%d", n), resp.Header.Get("Content-Range"))
	resp, _ = get(t, presign(t, r, http.MethodGet, base), map[string]string{"If-None-Match": etag})
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)

	// fMP4, indexed.
	resp, frag := get(t, presign(t, r, http.MethodGet, base+"&format=fmp4"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEqual(t, etag, resp.Header.Get("ETag"))
	assert.True(t, bytes.Contains(frag[:4096], []byte("mehd")))
	assert.True(t, bytes.Contains(frag[:4096], []byte("sidx")))

	// Bad queries are InvalidArgument; an unknown stream is not found.
	for url, code := range map[string]int{
		r.url + "/clips/cam.mp4?start=1":                                 http.StatusBadRequest,
		base + "&format=webm":                                            http.StatusBadRequest,
		base + "&selector=other":                                         http.StatusBadRequest,
		r.url + "/clips/nope.mp4?start=1&end=2":                          http.StatusNotFound,
		fmt.Sprintf("%s/clips/cam.mp4?start=%d&end=%d", r.url, to, from): http.StatusBadRequest,
	} {
		resp, body := get(t, presign(t, r, http.MethodGet, url), nil)
		assert.Equal(t, code, resp.StatusCode, "%s: %s", url, body)
	}
}

func bigEndian32(b []byte) int {
	return int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
}
