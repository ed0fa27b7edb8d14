package archive_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/kvsclip/kvsclip/kvs"
)

// TestS3CancelStopsCallsInFlight pauses the S3 server, so that requests
// hang, and cancels calls on their way: each returns within 100 ms of the
// cancel, long before OpTimeout, which is what ended them when the store
// ignored its callers.
func TestS3CancelStopsCallsInFlight(t *testing.T) {
	gw := storetest.StartGW(t)
	a, _ := gw.Open(t, archive.S3Options{})
	require.NoError(t, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24}))
	m, doc := storetest.Fragment(1, 1000, 1000)
	require.NoError(t, a.Put(bg, "cam", m, doc))
	gw.Pause()
	for _, c := range []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Read", func(ctx context.Context) error { _, err := a.Read(ctx, "cam", m.Number); return err }},
		{"ReadAt", func(ctx context.Context) error {
			_, err := a.ReadAt(ctx, "cam", m.Number, make([]byte, 16), 8)
			return err
		}},
		{"Index", func(ctx context.Context) error {
			_, err := a.Index(ctx, "cam", kvs.Fragment{Number: m.Number})
			return err
		}},
		{"List", func(ctx context.Context) error {
			_, err := a.List(ctx, "cam", kvs.ServerTimestamp, 0, 1<<62)
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(bg)
			done := make(chan error, 1)
			go func() { done <- c.call(ctx) }()
			time.Sleep(50 * time.Millisecond) // on its way, and hanging
			select {
			case err := <-done:
				t.Fatalf("returned before the cancel: %v", err)
			default:
			}
			cancel()
			cancelled := time.Now()
			select {
			case err := <-done:
				assert.ErrorIs(t, err, context.Canceled)
				assert.Less(t, time.Since(cancelled), 100*time.Millisecond)
			case <-time.After(10 * time.Second):
				t.Fatal("still running 10 s after the cancel")
			}
		})
	}
}

// failingTransport answers the requests that fail says with a 503, as S3
// does in an outage, and passes the rest on.
type failingTransport struct {
	next http.RoundTripper
	fail func(r *http.Request) bool
}

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.fail(r) {
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Slow Down",
			Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	}
	return f.next.RoundTrip(r)
}

// TestS3PutCutBeforeCommit: S3 fails the producer-time listing key of a
// Put (the commit record) and then the delete that would take the
// server-time key back. The fragment stays listed by server time, as the
// layout allows; it must then be readable by number like every listed
// fragment, not a 404 behind a listing (the producer got an ERROR ack and
// sends it again, which the clip's de-duplication absorbs).
func TestS3PutCutBeforeCommit(t *testing.T) {
	gw := storetest.StartGW(t)
	prefix := fmt.Sprintf("cut-%d/", time.Now().UnixNano())
	var broken atomic.Bool
	client := s3.New(s3.Options{
		Region: storetest.GWRegion, BaseEndpoint: aws.String(gw.Endpoint), UsePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider(storetest.GWAccessKey, storetest.GWSecretKey, ""),
		RetryMaxAttempts: 1,
		HTTPClient: &http.Client{Transport: failingTransport{next: http.DefaultTransport, fail: func(r *http.Request) bool {
			if !broken.Load() {
				return false
			}
			p := r.URL.Path
			return r.Method == http.MethodPut && strings.Contains(p, "/idx/p/") ||
				r.Method == http.MethodDelete && strings.Contains(p, "/idx/s/")
		}}},
	})
	a, err := archive.OpenS3(bg, client, "kvsclip", prefix, nil)
	require.NoError(t, err)
	require.NoError(t, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24}))

	committed, doc1 := storetest.Fragment(1, 1000, 5000)
	require.NoError(t, a.Put(bg, "cam", committed, doc1))
	broken.Store(true)
	cut, doc2 := storetest.Fragment(2, 3000, 7000)
	require.Error(t, a.Put(bg, "cam", cut, doc2), "the commit record cannot be written")
	broken.Store(false)

	byServer, err := a.List(bg, "cam", kvs.ServerTimestamp, 0, 1<<50)
	require.NoError(t, err)
	byProducer, err := a.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<50)
	require.NoError(t, err)
	numbers := func(fs []kvs.Fragment) (out []string) {
		for _, f := range fs {
			out = append(out, f.Number)
		}
		return out
	}
	// Whatever a listing names can be looked up, read and indexed.
	for _, f := range append(byServer, byProducer...) {
		got, err := a.Lookup(bg, "cam", f.Number)
		require.NoError(t, err, "fragment %s is listed", f.Number)
		assert.Equal(t, f, got)
		b, err := a.Read(bg, "cam", f.Number)
		require.NoError(t, err)
		assert.Len(t, b, int(f.Size))
		_, err = a.Index(bg, "cam", f)
		require.NoError(t, err)
	}
	assert.Contains(t, numbers(byServer), cut.Number, "left listed by server time")
	assert.Equal(t, []string{committed.Number}, numbers(byProducer))

	// A body whose Put stopped before any listing key is no fragment.
	broken.Store(true)
	lost, doc3 := storetest.Fragment(3, 4000, 8000)
	_, err = client.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("kvsclip"),
		Key: aws.String(prefix + "streams/cam/frags/" + lost.Number + ".mkv"), Body: strings.NewReader(string(doc3)),
		Metadata: map[string]string{"kvsclip-producer-ms": "4000", "kvsclip-server-ms": "8000", "kvsclip-duration-ms": "0"}})
	require.NoError(t, err)
	_, err = a.Lookup(bg, "cam", lost.Number)
	assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
}

// sdkLog records what the SDK logs.
type sdkLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *sdkLog) Logf(c logging.Classification, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(c)+" "+fmt.Sprintf(format, v...))
}

// TestS3ReadsLogNothing: the SDK's default logger prints a line on stderr
// for every GET whose response has no checksum to validate, which no
// ranged read has; a clip of 200 fragments made 400 of them.
func TestS3ReadsLogNothing(t *testing.T) {
	gw := storetest.StartGW(t)
	var log sdkLog
	client := s3.New(s3.Options{
		Region: storetest.GWRegion, BaseEndpoint: aws.String(gw.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(storetest.GWAccessKey, storetest.GWSecretKey, ""),
		Logger:      &log,
		// What config.LoadDefaultConfig gives: validate when the
		// response has a checksum.
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
	a, err := archive.OpenS3(bg, client, "kvsclip", fmt.Sprintf("quiet-%d/", time.Now().UnixNano()), &archive.S3Options{})
	require.NoError(t, err)
	require.NoError(t, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24}))
	m, doc := storetest.Fragment(1, 1000, 1000)
	require.NoError(t, a.Put(bg, "cam", m, doc))
	_, err = a.Stream(bg, "cam")
	require.NoError(t, err)
	_, err = a.Read(bg, "cam", m.Number)
	require.NoError(t, err)
	_, err = a.ReadAt(bg, "cam", m.Number, make([]byte, 16), 4)
	require.NoError(t, err)
	_, err = a.Index(bg, "cam", m)
	require.NoError(t, err)
	assert.Empty(t, log.lines)
}

// holdingTransport stops the requests hold says at the door until
// release is closed, telling arrived when the first one gets there.
type holdingTransport struct {
	next    http.RoundTripper
	hold    func(r *http.Request) bool
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *holdingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.hold(r) {
		h.once.Do(func() { close(h.arrived) })
		<-h.release
	}
	return h.next.RoundTrip(r)
}

// TestS3LeaseTakeOvertaken: session A begins to take the lease, and its
// write is slow; session B, on another server, takes it meanwhile. B is
// the newer producer and keeps the lease; A's write, landing last, must
// not undo that (it did when the lease was written unconditionally), and
// A learns that it was overtaken.
func TestS3LeaseTakeOvertaken(t *testing.T) {
	gw := storetest.StartGW(t)
	prefix := fmt.Sprintf("lease-%d/", time.Now().UnixNano())
	slow := &holdingTransport{next: http.DefaultTransport, arrived: make(chan struct{}), release: make(chan struct{}),
		hold: func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/producer-lease")
		}}
	open := func(hc *http.Client) *archive.S3 {
		client := s3.New(s3.Options{
			Region: storetest.GWRegion, BaseEndpoint: aws.String(gw.Endpoint), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(storetest.GWAccessKey, storetest.GWSecretKey, ""),
			HTTPClient:  hc, RetryMaxAttempts: 1,
		})
		a, err := archive.OpenS3(bg, client, "kvsclip", prefix, nil)
		require.NoError(t, err)
		return a
	}
	a, b := open(&http.Client{Transport: slow}), open(&http.Client{})
	require.NoError(t, b.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24}))
	require.NoError(t, b.TakeProducerLease(bg, "cam", "first"))

	took := make(chan error, 1)
	go func() { took <- a.TakeProducerLease(bg, "cam", "session-a") }()
	<-slow.arrived // A has read the lease; its write waits
	require.NoError(t, b.TakeProducerLease(bg, "cam", "session-b"))
	close(slow.release)
	require.ErrorIs(t, <-took, archive.ErrLeaseTaken)

	holder, err := b.ProducerLeaseHolder(bg, "cam")
	require.NoError(t, err)
	assert.Equal(t, "session-b", holder, "the newer session keeps the stream")
	// Taking it again is a take like any other, and idempotent.
	require.NoError(t, a.TakeProducerLease(bg, "cam", "session-a"))
	require.NoError(t, a.TakeProducerLease(bg, "cam", "session-a"))
	holder, err = b.ProducerLeaseHolder(bg, "cam")
	require.NoError(t, err)
	assert.Equal(t, "session-a", holder)
}
