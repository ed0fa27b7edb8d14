package server_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/bench"
	"github.com/kvsclip/kvsclip/server/connlimit"
)

// limitedServer serves h on a loopback listener under lim, as `kvsclip
// serve` does.
func limitedServer(t *testing.T, lim connlimit.ConnLimits, h http.Handler) (string, *connlimit.LimitedListener) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := connlimit.LimitListener(ln, lim)
	hs := &http.Server{Handler: l.Handler(h), ConnContext: l.ConnContext, ReadHeaderTimeout: time.Minute}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String(), l
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
	addr, _ := limitedServer(t, connlimit.ConnLimits{MaxConns: 16, MaxConnsPerClient: 16}, r.srv)
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
