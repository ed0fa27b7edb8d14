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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/bench"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

const (
	testKeyID  = "AKIDKVSCLIPTEST"
	testSecret = "kvsclip-test-secret"
	testRegion = "us-west-2"
)

// rig is a server on a loopback port with SDK clients pointed at it.
type rig struct {
	t     testing.TB
	url   string
	srv   *server.Server
	store *archive.FS
	kv    *kinesisvideo.Client
	media *am.Client
	creds aws.Credentials
}

func newRig(t testing.TB, tune ...func(*server.Config)) *rig {
	t.Helper()
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	cfg := server.Config{
		Store:       store,
		Credentials: &server.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		Logger:      slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, f := range tune {
		f(&cfg)
	}
	srv, err := server.New(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	r := &rig{t: t, url: hs.URL, srv: srv, store: store,
		creds: aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}}
	r.kv, r.media = sdkClients(hs.URL, testKeyID, testSecret)
	return r
}

// sdkClients returns the two stock SDK clients, without retries so that
// every error reaches the test as the server sent it.
func sdkClients(url, id, secret string) (*kinesisvideo.Client, *am.Client) {
	prov := credentials.NewStaticCredentialsProvider(id, secret, "")
	kv := kinesisvideo.New(kinesisvideo.Options{Region: testRegion, BaseEndpoint: aws.String(url), Credentials: prov, RetryMaxAttempts: 1, HTTPClient: sdkHTTPClient})
	media := am.New(am.Options{Region: testRegion, BaseEndpoint: aws.String(url), Credentials: prov, RetryMaxAttempts: 1, HTTPClient: sdkHTTPClient})
	return kv, media
}

func (r *rig) createStream(name string, retention int32) string {
	r.t.Helper()
	out, err := r.kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{
		StreamName: aws.String(name), DataRetentionInHours: aws.Int32(retention), MediaType: aws.String("video/h264"),
	})
	require.NoError(r.t, err)
	return *out.StreamARN
}

// put streams body with a signed plain HTTP POST and returns the acks.
func (r *rig) put(stream, tcType string, start time.Time, body io.Reader) ([]putack.Ack, error) {
	var acks []putack.Ack
	err := putclient.PutMedia(context.Background(), nil, putclient.Input{
		Endpoint: r.url, StreamName: stream, TimecodeType: tcType, StartTimestamp: start,
		Body: body, Credentials: &r.creds, Region: testRegion,
	}, func(a putack.Ack) { acks = append(acks, a) })
	return acks, err
}

func (r *rig) putFile(stream, tcType string, start time.Time, path string) []putack.Ack {
	r.t.Helper()
	f, err := os.Open(path)
	require.NoError(r.t, err)
	defer f.Close()
	acks, err := r.put(stream, tcType, start, f)
	require.NoError(r.t, err)
	return acks
}

func persisted(acks []putack.Ack) []string {
	var out []string
	for _, a := range acks {
		if a.EventType == putack.Persisted {
			out = append(out, a.FragmentNumber)
		}
	}
	return out
}

func producerFile(t testing.TB, name string) string {
	return filepath.Join(mediatest.SharedDir(t), "producer", name)
}

// blockSizes lists the frame sizes of a Matroska file per track number, in
// file order: what a clip of it must hold.
func blockSizes(t *testing.T, data []byte) map[uint64][]int {
	t.Helper()
	out := map[uint64][]int{}
	rd := mkv.NewBytesReader(data)
	for {
		f, err := rd.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		for _, b := range f.Blocks {
			out[b.Track] = append(out[b.Track], len(b.Data))
		}
	}
}

// checkClip decodes a clip with ffmpeg and compares its packets, stream by
// stream, with the frames of want (track n is stream n-1).
func checkClip(t *testing.T, clip []byte, want map[uint64][]int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	require.NoError(t, os.WriteFile(path, clip, 0o644))
	msg, ok := mediatest.Decode(t, path)
	require.True(t, ok, msg)
	got := map[uint64][]int{}
	for _, p := range mediatest.Packets(t, path) {
		got[uint64(p.Stream+1)] = append(got[uint64(p.Stream+1)], p.Size)
	}
	require.Equal(t, len(want), len(got))
	for track, sizes := range want {
		require.Equal(t, sizes, got[track], "track %d", track)
	}
}

func readAll(t testing.TB, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	var b bytes.Buffer
	_, err := io.Copy(&b, rc)
	require.NoError(t, err)
	return b.Bytes()
}

var _ = kvtypes.StatusActive

// testLog sends the server's warnings and errors to the test's log, shown
// when the test fails.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// sdkHTTPClient works around a client-side race seen only against a fast
// loopback server: the SDK closes its request body (a smithy safeReadCloser,
// which is an io.WriterTo) as soon as the response headers arrive, and when
// net/http's write loop is still finishing that body through WriteTo it
// fails and closes the connection, cutting the response being read ("use of
// closed network connection"). Hiding WriterTo makes the transport read the
// body the plain way, which tolerates the early close.
var sdkHTTPClient = &http.Client{Transport: plainBodies{http.DefaultTransport}}

type plainBodies struct{ rt http.RoundTripper }

func (p plainBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return p.rt.RoundTrip(req)
}

// syntheticRecording is a producer recording of s.Fragments 2 s fragments
// with the tracks (and codec data) of a committed fixture, and frames of
// the sizes s asks for: their bytes are not pictures, which the remux
// never decodes, so a test can make a recording of any size.
func syntheticRecording(t testing.TB, s bench.Synth) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	require.NoError(t, err)
	first, err := mkv.NewBytesReader(raw).Next()
	require.NoError(t, err)
	rec, err := bench.Synthetic(first.Header, s)
	require.NoError(t, err)
	return rec
}

// metric reads one counter or gauge from the server's GET /metrics, the
// series of family name whose labels include labels (name, value pairs);
// 0 when the server has no such series yet. Tests read what an operator
// reads rather than the server's insides.
func (r *rig) metric(name string, labels ...string) float64 {
	r.t.Helper()
	resp, err := http.Get(r.url + "/metrics")
	require.NoError(r.t, err)
	defer resp.Body.Close()
	require.Equal(r.t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(r.t, err)
	fam, ok := fams[name]
	if !ok {
		return 0
	}
series:
	for _, m := range fam.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
				return l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}) {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		}
		r.t.Fatalf("metric %s is neither a counter nor a gauge", name)
	}
	return 0
}

// committedFragments reads a committed recording of testdata/ into its
// fragments, each a copy of its own.
func committedFragments(t testing.TB, file string) []*mkv.Fragment {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", file))
	require.NoError(t, err)
	rd := mkv.NewBytesReader(raw)
	var out []*mkv.Fragment
	for {
		f, err := rd.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, f.Clone())
	}
}
