package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/bench"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/connlimit"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
	"github.com/kvsclip/kvsclip/server/sigv4"
)

// requestHead is the head of req as a client sends it (with the headers
// a signature covers), without the body.
func requestHead(t *testing.T, req *http.Request) []byte {
	t.Helper()
	var b bytes.Buffer
	req.Body = io.NopCloser(strings.NewReader(strings.Repeat("x", int(req.ContentLength))))
	require.NoError(t, req.Write(&b))
	head, _, ok := bytes.Cut(b.Bytes(), []byte("\r\n\r\n"))
	require.True(t, ok)
	return append(head, "\r\n\r\n"...)
}

// closedWithin sends head on a new connection, then a byte every
// trickle (if not 0), and reports whether the server closed the
// connection before limit, and how long that took.
func closedWithin(t *testing.T, url string, head []byte, trickle, limit time.Duration) (closed bool, took time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write(head)
	require.NoError(t, err)
	began := time.Now()
	if trickle > 0 {
		go func() {
			for time.Since(began) < limit {
				time.Sleep(trickle) // the client's trickle: the input
				if _, err := conn.Write([]byte{0x1a}); err != nil {
					return
				}
			}
		}()
	}
	require.NoError(t, conn.SetReadDeadline(began.Add(limit)))
	_, err = io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false, limit
	}
	return true, time.Since(began)
}

// TestStalledRequestsLoseTheirConnection: a client that promises a body
// and does not send it, or trickles it, loses its connection to the read
// timeout or the PutMedia progress window (1 s here), signed or not. The
// client waits 6 s, less than either default, so a close is the
// configured timeout's.
func TestStalledRequestsLoseTheirConnection(t *testing.T) {
	r := newRig(t, func(c *server.Config) {
		c.ReadTimeout = time.Second
		c.Ingest.PutMediaIdleTimeout = time.Second
	})
	r.createStream("cam", 1)
	jsonReq := func(sign bool) *http.Request {
		req, err := http.NewRequest(http.MethodPost, r.url+"/describeStream", strings.NewReader(`{"StreamName":"cam"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if sign {
			req.Header.Set("X-Amz-Content-Sha256", sigv4.EmptyPayloadHash) // any: the body never comes
			require.NoError(t, v4.NewSigner().SignHTTP(bg, r.creds, req, sigv4.EmptyPayloadHash, sigv4.Service, testRegion, time.Now()))
			req.Header.Del("X-Amz-Content-Sha256")
		}
		return req
	}
	putReq := func(sign bool) *http.Request {
		req, err := http.NewRequest(http.MethodPost, r.url+"/putMedia", strings.NewReader(strings.Repeat("x", 4096)))
		require.NoError(t, err)
		req.Header.Set("x-amzn-stream-name", "cam")
		req.Header.Set("x-amzn-fragment-timecode-type", "RELATIVE")
		req.Header.Set("x-amzn-producer-start-timestamp", "1700000000.000")
		if sign {
			require.NoError(t, v4.NewSigner().SignHTTP(bg, r.creds, req, sigv4.EmptyPayloadHash, sigv4.Service, testRegion, time.Now()))
		}
		return req
	}
	for _, c := range []struct {
		name    string
		req     *http.Request
		trickle time.Duration
	}{
		{"JSON body never sent, unsigned", jsonReq(false), 0},
		{"JSON body never sent, signed", jsonReq(true), 0},
		{"PutMedia body never sent, unsigned", putReq(false), 0},
		{"PutMedia body never sent, signed", putReq(true), 0},
		{"PutMedia body trickled, signed", putReq(true), 200 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			closed, took := closedWithin(t, r.url, requestHead(t, c.req), c.trickle, 6*time.Second)
			assert.True(t, closed, "the server closes the connection")
			t.Logf("closed after %v", took.Round(time.Millisecond))
		})
	}
}

// TestPutMediaSessionLimit: past MaxPutMediaSessions a PutMedia gets
// ClientLimitExceeded; once a session ends, another may start.
func TestPutMediaSessionLimit(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.Ingest.MaxPutMediaSessions = 1 })
	r.createStream("a", 1)
	r.createStream("b", 1)
	src, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	pr, pw := io.Pipe()
	first := make(chan error, 1)
	go func() {
		_, err := r.put("a", "RELATIVE", time.Now(), pr)
		first <- err
	}()
	_, err = pw.Write(src[:1000])
	require.NoError(t, err)
	// The first session holds its place once the server has its request,
	// which the write above does not wait for.
	require.Eventually(t, func() bool { return r.srv.PutMediaSessions() == 1 }, 10*time.Second, time.Millisecond)

	_, err = r.put("b", "RELATIVE", time.Now(), bytes.NewReader(src))
	var ae *httpapi.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "ClientLimitExceededException", ae.Code)

	_, err = pw.Write(src[1000:])
	require.NoError(t, err)
	pw.Close()
	require.NoError(t, <-first)
	acks, err := r.put("b", "RELATIVE", time.Now(), bytes.NewReader(src))
	require.NoError(t, err)
	assert.Len(t, persisted(acks), 9)
}

// TestClipReaderThatStopsLosesItsSlot: GetClip slots are held by
// responses in progress; a client that stops reading is cut off within
// WriteStallTimeout, and its slot goes to the next client. Also through
// the LimitedListener of `kvsclip serve`, where a clip is written as
// vectors (limitedConn.ReadFrom).
func TestClipReaderThatStopsLosesItsSlot(t *testing.T) {
	rec := bigRecording(t)
	r := newRig(t, func(c *server.Config) {
		c.Archived.MaxConcurrentGetClips = 1
		c.WriteStallTimeout = time.Second
	})
	r.createStream("cam", 24)
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	acks, err := r.put("cam", "RELATIVE", start, bytes.NewReader(rec))
	require.NoError(t, err)
	require.Len(t, persisted(acks), 15)
	listener, _ := limitedServer(t, connlimit.ConnLimits{MaxConns: 16, MaxConnsPerClient: 16}, r.srv)

	for name, base := range map[string]string{"httptest": r.url, "LimitedListener": "http://" + listener} {
		t.Run(name, func(t *testing.T) {
			// A client that asks for the clip and never reads it.
			url := presign(t, r, http.MethodGet, fmt.Sprintf("%s/clips/cam.mp4?start=%d&end=%d", base, start.Unix(), start.Add(time.Hour).Unix()))
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
			req, err := http.NewRequest(http.MethodGet, url, nil)
			require.NoError(t, err)
			require.NoError(t, req.Write(conn))
			resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 16), req)
			require.NoError(t, err)
			require.Equal(t, 200, resp.StatusCode)

			// The slot frees once the stalled answer is cut, 1 s on; 8 s
			// only guards against a slot that never frees (and is less
			// than the default WriteStallTimeout, so the configured one
			// cut it).
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				out, err := producerClip(r, "cam", start, start.Add(4*time.Second))
				if assert.NoError(c, err, "the slot was freed") {
					readAll(t, out.Payload)
				}
			}, 8*time.Second, 200*time.Millisecond)
		})
	}
}

// bigRecording is 15 fragments of about 2 MB: a clip of it outlasts the
// socket buffers.
func bigRecording(t *testing.T) []byte {
	return syntheticRecording(t, bench.Synth{Fragments: 15})
}

// TestOneProducerPerStream: a second PutMedia on a stream ends the first
// with an ERROR ack; what the first had persisted stays, and the stream
// then holds only the second's fragments after it.
func TestOneProducerPerStream(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	src, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	ends := fragmentEnds(t, src)
	pr, pw := io.Pipe()
	defer pw.Close()
	type result struct {
		acks []putack.Ack
		err  error
	}
	firstDone := make(chan result, 1)
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	go func() {
		acks, err := r.put("cam", "RELATIVE", old, pr)
		firstDone <- result{acks, err}
	}()
	// Three fragments, and the start of the fourth; then the first
	// producer stalls with its connection open.
	_, err = pw.Write(src[:ends[2]+100])
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		frags, _ := r.store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
		return len(frags) == 3
	}, 5*time.Second, 20*time.Millisecond)

	newer := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	acks, err := r.put("cam", "RELATIVE", newer, bytes.NewReader(src))
	require.NoError(t, err)
	assert.Len(t, persisted(acks), 9)

	var first result
	select {
	case first = <-firstDone:
	case <-time.After(3 * time.Second):
		t.Fatal("the older session goes on")
	}
	require.ErrorIs(t, first.err, putclient.ErrAckError)
	last := first.acks[len(first.acks)-1]
	assert.Equal(t, putack.Error, last.EventType)
	assert.Equal(t, 4000, last.ErrorID)
	assert.Len(t, persisted(first.acks), 3)
	frags, err := r.store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	assert.Len(t, frags, 12)
}

// TestLongAnswerOutlivesReadTimeout: ReadTimeout bounds reading the
// request, not writing the answer: a clip read slowly for longer than it
// is whole.
func TestLongAnswerOutlivesReadTimeout(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.ReadTimeout = 200 * time.Millisecond })
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	acks, err := r.put("cam", "RELATIVE", start, bytes.NewReader(bigRecording(t)))
	require.NoError(t, err)
	require.Len(t, persisted(acks), 15)
	out, err := producerClip(r, "cam", start, start.Add(time.Hour))
	require.NoError(t, err)
	defer out.Payload.Close()
	buf := make([]byte, 1024)
	_, err = io.ReadFull(out.Payload, buf)
	require.NoError(t, err)
	// The client pauses past the read timeout (real sockets' deadlines:
	// the pause is the input).
	time.Sleep(600 * time.Millisecond)
	rest, err := io.ReadAll(out.Payload)
	require.NoError(t, err, "the answer is not cut when the read timeout passes")
	assert.NotEmpty(t, rest)
}
