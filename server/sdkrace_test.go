package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server"
)

// The Go SDK's short GetClip payloads ("use of closed network connection"
// while reading Payload) come from the client alone, from two pieces that
// are each reasonable:
//
//  1. net/http's Transport, for a request body of known length that is not
//     a bytes/strings reader, sends the headers at once (FlushHeaders) and
//     then copies the body through io.LimitReader straight to the socket
//     (bufio.Writer.ReadFrom on an empty buffer hands the copy to the
//     connection). Only then does transferWriter.writeBody copy what may be
//     left of the body to io.Discard, to count extra bytes — and that copy
//     uses the body's WriteTo when it has one.
//  2. smithy-go wraps the SDK's request body in a safeReadCloser whose
//     WriteTo returns io.EOF once the body is closed, and the SDK closes
//     it as soon as RoundTrip returns, that is, when the response headers
//     are in.
//
// So the server has the whole body, answers, and the SDK hands out the
// Payload while the Transport's write loop may not yet have made that last
// copy; when it makes it, it gets io.EOF as an error, takes it for a failed
// write and closes the connection under the response being read. The
// server cannot see that window (every byte of the request has reached it,
// and it reads the JSON body in full before it answers), so it cannot close
// it; a busy machine makes it wider by descheduling the write loop. The
// SDK's retry of net.ErrClosed (aws-sdk-go-v2 #2949, for #2737 and #1825)
// does not cover a streamed Payload, which is read after the call returned.
//
// The client configuration in the README (and in what make run prints)
// hides the body's WriteTo from the Transport: the last copy then reads the
// closed body with Read, whose io.EOF is the normal end of a copy.

// readmeBodies is the README's RoundTripper, as it is written there (the
// tests' sdkHTTPClient does the same without copying the request).
type readmeBodies struct{ rt http.RoundTripper }

func (p readmeBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req = req.Clone(req.Context())
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return p.rt.RoundTrip(req)
}

// stallBodyConn holds the return of a connection's second write, which
// carries the request body, until release is closed: the bytes are on the
// wire, the server answers, and the Transport's write loop is held where a
// busy machine can hold it.
type stallBodyConn struct {
	net.Conn
	writes  int
	release <-chan struct{}
}

func (c *stallBodyConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.writes++
	if c.writes == 2 {
		select {
		case <-c.release:
		case <-time.After(10 * time.Second):
		}
	}
	return n, err
}

// stallingDial dials connections that stall after the body's write until
// release is closed.
func stallingDial(release <-chan struct{}) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &stallBodyConn{Conn: c, release: release}, nil
	}
}

// TestSDKPayloadCutByClient reproduces the short payload without kvsclip's
// server: a plain handler that reads the JSON body, answers with a first
// part of the payload, and sends the rest a moment after the client has
// read that part. The client's write loop is held after the body's bytes
// (as a busy machine can hold it) until the first part is read: the stock
// SDK client's payload read then fails with "use of closed network
// connection", while the README's client, on the same stalled connections,
// reads it whole. Should a release of Go or of the SDK close the window,
// the first half fails: the README's advice can then go.
func TestSDKPayloadCutByClient(t *testing.T) {
	part := bytes.Repeat([]byte("kvsclip!"), 8<<10) // 64 KiB

	// getClip makes the server and a client from newClient, which dials
	// with dial, and reads the payload of a GetClip.
	type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)
	getClip := func(newClient func(dial dialFunc) am.HTTPClient) ([]byte, error) {
		release := make(chan struct{})
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		defer free()
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				return
			}
			w.Header().Set("Content-Type", "video/mp4")
			w.Header().Set("Content-Length", strconv.Itoa(2*len(part)))
			w.Write(part)
			w.(http.Flusher).Flush()
			// The client's write loop, released, acts at once: 300 ms
			// is ample for it to close the connection or not. (A wait
			// on the close itself would hang for the client that must
			// not close: the window is the input.)
			<-release
			time.Sleep(300 * time.Millisecond)
			w.Write(part)
		}))
		defer hs.Close()
		c := am.New(am.Options{Region: testRegion, BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1,
			HTTPClient:  newClient(stallingDial(release)),
			Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")})
		out, err := c.GetClip(context.Background(), clipInput("demo", time.Unix(1700000000, 0), time.Unix(1700000060, 0)))
		if err != nil {
			return nil, err
		}
		defer out.Payload.Close()
		got := make([]byte, len(part))
		if _, err := io.ReadFull(out.Payload, got); err != nil {
			return got, err
		}
		free()
		rest, err := io.ReadAll(out.Payload)
		return append(got, rest...), err
	}

	// The SDK's own client (awshttp.BuildableClient), on stalled connections.
	got, err := getClip(func(dial dialFunc) am.HTTPClient {
		return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.DialContext = dial })
	})
	t.Logf("stock SDK client: %d of %d bytes, %v", len(got), 2*len(part), err)
	require.Error(t, err, "the stock client's payload is cut")
	assert.ErrorIs(t, err, net.ErrClosed)
	assert.Less(t, len(got), 2*len(part))

	// The README's client: the same transport, the body's WriteTo hidden.
	got, err = getClip(func(dial dialFunc) am.HTTPClient {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = dial
		return &http.Client{Transport: readmeBodies{tr}}
	})
	require.NoError(t, err, "the README's client")
	assert.Equal(t, 2*len(part), len(got))
}

// clipInput is a GetClip of a producer-time range.
func clipInput(stream string, start, end time.Time) *am.GetClipInput {
	return &am.GetClipInput{StreamName: aws.String(stream), ClipFragmentSelector: &amtypes.ClipFragmentSelector{
		FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp,
		TimestampRange:       &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)},
	}}
}

// TestSDKGetClipLoopBusyCPUs: GetClips from the Go SDK with the README's
// client configuration, one after another while goroutines keep every CPU
// busy, all get the whole clip. KVSCLIP_SDK_LOOP sets the count (600 for
// the figure; 50 by default, which make test runs).
func TestSDKGetClipLoopBusyCPUs(t *testing.T) {
	runs := 50
	if v := os.Getenv("KVSCLIP_SDK_LOOP"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "KVSCLIP_SDK_LOOP")
		runs = n
	}
	// GetClip's rate limit (5 calls per second per stream) is KVS's, not
	// this test's subject: lifted, the loop runs back to back.
	r := newRig(t, func(c *server.Config) { c.Archived.GetClipTPSPerStream = 1e6 })
	r.createStream("demo", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	require.Len(t, persisted(r.putFile("demo", "RELATIVE", start, producerFile(t, "vogels_480.mkv"))), 9)
	// A short clip: the request/response turn, where the race is, is
	// most of each call.
	in := clipInput("demo", start, start.Add(5*time.Second))

	// Spinners on every CPU, bounded in time whatever happens to the test.
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Minute)
	defer stop()
	var wg sync.WaitGroup
	for range 2 * runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := uint64(1); ctx.Err() == nil; x++ {
				for range 1 << 16 {
					x ^= x << 13
				}
			}
		}()
	}
	defer wg.Wait()
	defer stop()

	// KVSCLIP_SDK_LOOP_CLIENT=stock runs the loop with the SDK's own
	// client instead, to watch for the failure the README's client
	// prevents. It is rare: reported at 1 call in 400 on two busy CPUs,
	// and a run of 600 here had none, which is why the proof of the cause
	// is TestSDKPayloadCutByClient, where the window is held open.
	var hc am.HTTPClient = &http.Client{Transport: readmeBodies{http.DefaultTransport}}
	if os.Getenv("KVSCLIP_SDK_LOOP_CLIENT") == "stock" {
		hc = awshttp.NewBuildableClient()
	}
	media := am.New(am.Options{Region: testRegion, BaseEndpoint: aws.String(r.url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""), HTTPClient: hc})
	var want int
	var short atomic.Int64
	for i := range runs {
		out, err := media.GetClip(ctx, in)
		require.NoError(t, err, "call %d", i)
		got, err := io.ReadAll(out.Payload)
		out.Payload.Close()
		if i == 0 {
			require.NoError(t, err)
			want = len(got)
		}
		if err != nil || len(got) != want {
			short.Add(1)
			t.Errorf("call %d: %d of %d bytes: %v", i, len(got), want, err)
		}
	}
	t.Logf("%d GetClips of %d bytes with %d spinning goroutines: %d short", runs, want, 2*runtime.NumCPU(), short.Load())
	assert.Zero(t, short.Load(), fmt.Sprintf("short payloads in %d", runs))
}
