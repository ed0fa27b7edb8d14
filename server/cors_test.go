package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/bench"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/putclient"
)

const (
	corsKeyID  = "AKIDKVSCLIPCORS"
	corsSecret = "kvsclip-cors-secret"
	corsRegion = "us-west-2"
	// appOrigin is a web app's page on another origin than the server's.
	appOrigin = "https://app.example"
	// jsSDKHeaders is what the AWS SDK for JavaScript v3 asks a preflight
	// for before a KVS call from a browser.
	jsSDKHeaders = "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-date,x-amz-security-token,x-amz-user-agent"
)

// corsServer is a server on a loopback port over a store that can be
// taken away, so that a test can show a request reads nothing from it.
type corsServer struct {
	url   string
	store *unplugged
	creds *aws.Credentials // nil in local mode
}

// unplugged is a store whose every call panics while Store is nil: the
// server then fails the request rather than answer it.
type unplugged struct{ archive.Store }

func newCORSServer(t *testing.T, signed bool, origins ...string) *corsServer {
	t.Helper()
	fs, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	cs := &corsServer{store: &unplugged{fs}}
	cfg := server.Config{Store: cs.store, AllowOrigins: origins,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if signed {
		cfg.Credentials = &server.Credentials{AccessKeyID: corsKeyID, SecretAccessKey: corsSecret}
		cs.creds = &aws.Credentials{AccessKeyID: corsKeyID, SecretAccessKey: corsSecret}
	}
	srv, err := server.New(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	cs.url = hs.URL
	return cs
}

// fromPage is an HTTP client for the SDKs that sends what a browser adds
// to a page's cross-origin call (Origin, Sec-Fetch-Site) and keeps the
// last answer's headers, which the SDKs do not show.
type fromPage struct {
	origin string
	last   http.Header
}

func (p *fromPage) Do(req *http.Request) (*http.Response, error) {
	if p.origin != "" {
		req.Header.Set("Origin", p.origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	if req.Body != nil && req.Body != http.NoBody {
		// As the server's other tests do: the SDK closes its body
		// early, which a WriterTo body does not survive on loopback.
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		p.last = resp.Header
	}
	return resp, err
}

// clients are the stock SDK clients calling from a page of origin: signed
// when the server has credentials, anonymous in local mode.
func (cs *corsServer) clients(origin string) (*kinesisvideo.Client, *am.Client, *fromPage) {
	page := &fromPage{origin: origin}
	var prov aws.CredentialsProvider = aws.AnonymousCredentials{}
	if cs.creds != nil {
		prov = credentials.NewStaticCredentialsProvider(cs.creds.AccessKeyID, cs.creds.SecretAccessKey, "")
	}
	kv := kinesisvideo.New(kinesisvideo.Options{Region: corsRegion, BaseEndpoint: aws.String(cs.url), Credentials: prov, RetryMaxAttempts: 1, HTTPClient: page})
	media := am.New(am.Options{Region: corsRegion, BaseEndpoint: aws.String(cs.url), Credentials: prov, RetryMaxAttempts: 1, HTTPClient: page})
	return kv, media, page
}

// preflight sends a browser's preflight for method on path.
func (cs *corsServer) preflight(t *testing.T, origin, path, method, headers string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, cs.url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Access-Control-Request-Method", method)
	if headers != "" {
		req.Header.Set("Access-Control-Request-Headers", headers)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// getFrom fetches a URL as a page of origin does (no credential but the URL).
func getFrom(t *testing.T, url, origin string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if origin != "" {
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// record makes a stream holding a short recording, and returns its name.
func (cs *corsServer) record(t *testing.T) string {
	t.Helper()
	kv, _, _ := cs.clients("")
	const name = "cam"
	_, err := kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{StreamName: aws.String(name), DataRetentionInHours: aws.Int32(1), MediaType: aws.String("video/h264")})
	require.NoError(t, err)
	// Frames of the committed fixture's tracks: CORS needs no pictures.
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	require.NoError(t, err)
	first, err := mkv.NewBytesReader(raw).Next()
	require.NoError(t, err)
	rec, err := bench.Synthetic(first.Header, bench.Synth{Fragments: 3, KeyFrame: 2000, Frame: 500})
	require.NoError(t, err)
	require.NoError(t, putclient.PutMedia(context.Background(), nil, putclient.Input{
		Endpoint: cs.url, StreamName: name, TimecodeType: "RELATIVE", StartTimestamp: time.Now().Add(-time.Minute),
		Body: bytes.NewReader(rec), Credentials: cs.creds, Region: corsRegion,
	}, nil))
	return name
}

// TestCORSSignedAPI: with credentials, a page of any origin is answered
// its preflight for every API route without a signature and without a
// store read, and its signed calls carry the CORS headers, failures too.
func TestCORSSignedAPI(t *testing.T) {
	cs := newCORSServer(t, true)
	for _, path := range []string{"/getDataEndpoint", "/describeStream", "/listFragments", "/getClip", "/getMedia",
		"/putMedia", "/getHLSStreamingSessionURL", "/getDASHStreamingSessionURL", "/getImages"} {
		t.Run("preflight "+path, func(t *testing.T) {
			fs := cs.store.Store
			cs.store.Store = nil // a store read would fail the request
			resp := cs.preflight(t, appOrigin, path, "POST", jsSDKHeaders)
			cs.store.Store = fs
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			assert.Equal(t, appOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "POST", resp.Header.Get("Access-Control-Allow-Methods"))
			assert.Equal(t, jsSDKHeaders, resp.Header.Get("Access-Control-Allow-Headers"))
			assert.Equal(t, "7200", resp.Header.Get("Access-Control-Max-Age"))
			assert.Contains(t, resp.Header.Values("Vary"), "Origin")
		})
	}

	kv, _, page := cs.clients(appOrigin)
	out, err := kv.GetDataEndpoint(context.Background(), &kinesisvideo.GetDataEndpointInput{
		StreamName: aws.String("none"), APIName: kvtypes.APINameGetHlsStreamingSessionUrl})
	require.Error(t, err, "no such stream")
	assert.Nil(t, out)
	assert.Equal(t, appOrigin, page.last.Get("Access-Control-Allow-Origin"), "a failure is readable too")
	assert.Contains(t, page.last.Get("Access-Control-Expose-Headers"), "X-Amzn-ErrorType")

	_, err = kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), DataRetentionInHours: aws.Int32(1)})
	require.NoError(t, err)
	assert.Equal(t, appOrigin, page.last.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, page.last.Values("Vary"), "Origin")
	for _, h := range []string{"x-amzn-RequestId", "Content-Range", "X-Kvsclip-First-Fragment-Number"} {
		assert.Contains(t, page.last.Get("Access-Control-Expose-Headers"), h)
	}

	// The page is the server's own: not a resource for other origins.
	resp, _ := getFrom(t, cs.url+"/", appOrigin)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	resp, _ = getFrom(t, cs.url+"/metrics", appOrigin)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

// TestCORSSessions: a session's playlists, manifest, init and segments
// are readable from a page of another origin (the token is the
// credential), and answer preflights.
func TestCORSSessions(t *testing.T) {
	cs := newCORSServer(t, true)
	name := cs.record(t)
	_, media, _ := cs.clients(appOrigin)
	ctx := context.Background()
	hls, err := media.GetHLSStreamingSessionURL(ctx, &am.GetHLSStreamingSessionURLInput{StreamName: aws.String(name),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
			FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now().Add(time.Hour))}}})
	require.NoError(t, err)
	dash, err := media.GetDASHStreamingSessionURL(ctx, &am.GetDASHStreamingSessionURLInput{StreamName: aws.String(name),
		PlaybackMode: amtypes.DASHPlaybackModeOnDemand, DASHFragmentSelector: &amtypes.DASHFragmentSelector{
			FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.DASHTimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now().Add(time.Hour))}}})
	require.NoError(t, err)

	readable := func(url string) []byte {
		t.Helper()
		resp, body := getFrom(t, url, appOrigin)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", url, body)
		assert.Equal(t, appOrigin, resp.Header.Get("Access-Control-Allow-Origin"), url)
		assert.Contains(t, resp.Header.Values("Vary"), "Origin", url)
		return body
	}
	master := string(readable(*hls.HLSStreamingSessionURL))
	base := (*hls.HLSStreamingSessionURL)[:strings.LastIndex(*hls.HLSStreamingSessionURL, "/")+1]
	mediaURI := regexp.MustCompile(`(?m)^(getHLSMediaPlaylist[^\s]*)$`).FindStringSubmatch(master)
	require.NotNil(t, mediaURI, master)
	playlist := string(readable(base + mediaURI[1]))
	initURI := regexp.MustCompile(`URI="([^"]+)"`).FindStringSubmatch(playlist)
	require.NotNil(t, initURI, playlist)
	readable(base + initURI[1])
	seg := regexp.MustCompile(`(?m)^(getMP4MediaFragment[^\s]*)$`).FindStringSubmatch(playlist)
	require.NotNil(t, seg, playlist)
	assert.NotEmpty(t, readable(base+seg[1]))
	assert.Contains(t, string(readable(*dash.DASHStreamingSessionURL)), "<MPD")

	resp := cs.preflight(t, appOrigin, "/hls/v1/getHLSMediaPlaylist.m3u8", "GET", "range")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, appOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "GET, HEAD", resp.Header.Get("Access-Control-Allow-Methods"))
}

// TestCORSLocalMode: without credentials no other origin may call or read
// unless the operator names it; a named one may do both, another still
// may not, and the server's own page always may.
func TestCORSLocalMode(t *testing.T) {
	const other = "https://evil.example"
	for _, c := range []struct {
		name    string
		origins []string
		origin  string
		ok      bool
	}{
		{"no origin named", nil, appOrigin, false},
		{"the origin named", []string{appOrigin}, appOrigin, true},
		{"another origin", []string{appOrigin}, other, false},
		{"a local dev server named", []string{"http://localhost:3000"}, "http://localhost:3000", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs := newCORSServer(t, false, c.origins...)
			name := cs.record(t)
			own, _, _ := cs.clients(cs.url)

			resp := cs.preflight(t, c.origin, "/getHLSStreamingSessionURL", "POST", "content-type,x-amz-user-agent")
			assert.Equal(t, c.ok, resp.StatusCode == http.StatusNoContent, "preflight: %d", resp.StatusCode)
			assert.Equal(t, c.ok, resp.Header.Get("Access-Control-Allow-Origin") == c.origin)

			_, media, page := cs.clients(c.origin)
			in := &am.GetHLSStreamingSessionURLInput{StreamName: aws.String(name), PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
				HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
					TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now().Add(time.Hour))}}}
			out, err := media.GetHLSStreamingSessionURL(context.Background(), in)
			if c.ok {
				require.NoError(t, err)
				assert.Equal(t, c.origin, page.last.Get("Access-Control-Allow-Origin"))
			} else {
				require.Error(t, err, "a call from another origin acts on nothing")
				assert.Empty(t, page.last.Get("Access-Control-Allow-Origin"))
			}

			// A session URL, wherever it came from: another origin's page
			// is never told it may read it unless named.
			if out == nil {
				_, ownMedia, _ := cs.clients(cs.url)
				out, err = ownMedia.GetHLSStreamingSessionURL(context.Background(), in)
				require.NoError(t, err)
			}
			resp, _ = getFrom(t, *out.HLSStreamingSessionURL, c.origin)
			assert.Equal(t, c.ok, resp.Header.Get("Access-Control-Allow-Origin") == c.origin)
			assert.Contains(t, resp.Header.Values("Vary"), "Origin")

			// The server's own page calls as before.
			_, err = own.ListStreams(context.Background(), &kinesisvideo.ListStreamsInput{})
			assert.NoError(t, err)
		})
	}
	_, err := server.New(server.Config{Store: &unplugged{}, AllowOrigins: []string{"https://app.example/page"}})
	assert.ErrorContains(t, err, "scheme://host[:port]")
	_, err = httpapi.CanonicalOrigin("*")
	assert.Error(t, err, "no wildcard: every origin is what credentials give")
}
