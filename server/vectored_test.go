package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/bench"
)

// TestVectoredResponse: which responses reach their socket as vectors
// (limitedConn.ReadFrom): plain HTTP/1 on a LimitedListener, as `kvsclip
// serve` runs; not a server without one, nor TLS on top of one.
func TestVectoredResponse(t *testing.T) {
	probe := func(got chan<- bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- vectoredResponse(w, r) })
	}
	lim := ConnLimits{MaxConns: 16, MaxConnsPerClient: 16}

	got := make(chan bool, 1)
	addr, _ := limitedServer(t, lim, probe(got))
	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.True(t, <-got, "LimitedListener, plain HTTP/1")

	plain := httptest.NewServer(probe(got))
	t.Cleanup(plain.Close)
	resp, err = http.Get(plain.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.False(t, <-got, "no LimitedListener")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := LimitListener(ln, lim)
	ts := httptest.NewUnstartedServer(l.Handler(probe(got)))
	ts.Listener = l
	ts.Config.ConnContext = l.ConnContext
	ts.StartTLS()
	t.Cleanup(ts.Close)
	resp, err = ts.Client().Get(ts.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.False(t, <-got, "TLS on a LimitedListener")
}

// TestLimitedConnReadFrom: a *net.Buffers given to a limitedConn's
// ReadFrom arrives whole and in order, as does any other reader.
func TestLimitedConnReadFrom(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	l := LimitListener(ln, ConnLimits{MaxConns: 4, MaxConnsPerClient: 4})
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	c, err := l.Accept()
	require.NoError(t, err)
	rf, ok := c.(io.ReaderFrom)
	require.True(t, ok)

	var want []byte
	bufs := net.Buffers{}
	for k := range 40 {
		p := bytes.Repeat([]byte{byte(k)}, 1+k*997)
		bufs, want = append(bufs, p), append(want, p...)
	}
	tail := bytes.Repeat([]byte{'z'}, 12345)
	want = append(want, tail...)
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(client)
		got <- b
	}()
	n, err := rf.ReadFrom(&bufs)
	require.NoError(t, err)
	n2, err := rf.ReadFrom(bytes.NewReader(tail))
	require.NoError(t, err)
	assert.Equal(t, int64(len(want)), n+n2)
	require.NoError(t, c.Close())
	select {
	case b := <-got:
		assert.True(t, bytes.Equal(want, b))
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived")
	}
}

// TestClipsOverLimitedListener: clips served as `kvsclip serve` serves
// them (vectored writes) are byte for byte those of a server without the
// listener (gathered writes): whole, by ranges, and fragmented.
func TestClipsOverLimitedListener(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	rec := syntheticRecording(t, bench.Synth{Fragments: 6, KeyFrame: 30_000, Frame: 3_600, Audio: 300})
	_, err := r.put("cam", "RELATIVE", start, bytes.NewReader(rec))
	require.NoError(t, err)
	addr, _ := limitedServer(t, ConnLimits{MaxConns: 16, MaxConnsPerClient: 16}, r.srv)
	query := fmt.Sprintf("/clips/cam.mp4?start=%d&end=%d", start.Unix(), start.Add(time.Hour).Unix())
	for _, c := range []struct {
		query string
		rng   string
	}{
		{query, ""},
		{query, "bytes=1000-300000"},
		{query, "bytes=-70000"},
		{query + "&format=fmp4", ""},
		{query + "&format=fmp4", "bytes=5000-"},
	} {
		var hdr map[string]string
		if c.rng != "" {
			hdr = map[string]string{"Range": c.rng}
		}
		want, wantBody := get(t, presign(t, r, http.MethodGet, r.url+c.query), hdr)
		got, gotBody := get(t, presign(t, r, http.MethodGet, "http://"+addr+c.query), hdr)
		require.Equal(t, want.StatusCode, got.StatusCode, "%s %s", c.query, c.rng)
		assert.Equal(t, want.Header.Get("Content-Length"), got.Header.Get("Content-Length"))
		assert.Greater(t, len(gotBody), 60000)
		assert.True(t, bytes.Equal(wantBody, gotBody), "%s %s: the same bytes", c.query, c.rng)
	}
}
