package server_test

import (
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server"
)

// listRecorder records where each server-time listing of a store starts.
type listRecorder struct {
	archive.Store
	mu     sync.Mutex
	starts []int64
}

func (l *listRecorder) List(ctx context.Context, stream string, kind kvs.Selector, start, end int64) ([]kvs.Fragment, error) {
	if kind == kvs.ServerTimestamp {
		l.mu.Lock()
		l.starts = append(l.starts, start)
		l.mu.Unlock()
	}
	return l.Store.List(ctx, stream, kind, start, end)
}

func (l *listRecorder) last() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.starts[len(l.starts)-1]
}

// TestLiveAnchor: a server that has served a LIVE session's playlist
// lists the session's fragments from just before its window, not from
// the session's start, and serves the same playlists, manifests and
// segments as a server sharing the archive that has never seen the
// session (and so lists from its start), for every DiscontinuityMode.
func TestLiveAnchor(t *testing.T) {
	// The fragments all arrive within a second or so: with a slack
	// every listing would start at the same place.
	rec := &listRecorder{}
	r := newRig(t, func(c *server.Config) { rec.Store = c.Store; c.Store = rec; c.Sessions.AnchorSlack = -1 })
	fresh := func() string {
		srv, err := server.New(server.Config{Store: r.store, Credentials: &server.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
			Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		require.NoError(t, err)
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		return hs.URL
	}
	r.createStream("cam", 24)
	start := time.Now().Add(-time.Minute)
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start, 4)

	type session struct {
		name, url string
		first     int64 // the server time the session starts at
	}
	var sessions []session
	for _, mode := range []amtypes.HLSDiscontinuityMode{amtypes.HLSDiscontinuityModeAlways, amtypes.HLSDiscontinuityModeNever, amtypes.HLSDiscontinuityModeOnDiscontinuity} {
		u := hlsSession(t, r, &am.GetHLSStreamingSessionURLInput{StreamName: aws.String("cam"), PlaybackMode: amtypes.HLSPlaybackModeLive,
			DiscontinuityMode: mode, MaxMediaPlaylistFragmentResults: aws.Int64(3)})
		sessions = append(sessions, session{name: "HLS " + string(mode), url: u})
	}
	out, err := r.media.GetDASHStreamingSessionURL(context.Background(), &am.GetDASHStreamingSessionURLInput{StreamName: aws.String("cam"),
		PlaybackMode: amtypes.DASHPlaybackModeLive, MaxManifestFragmentResults: aws.Int64(3)})
	require.NoError(t, err)
	sessions = append(sessions, session{name: "DASH", url: *out.DASHStreamingSessionURL})
	// Each session's first listing is from its start.
	for i := range sessions {
		mediaOf(t, sessions[i].url)
		sessions[i].first = rec.last()
	}

	// More fragments, a minute later in producer time: a gap, so that
	// ON_DISCONTINUITY marks one.
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start.Add(time.Minute), 6)
	other := fresh()
	for _, s := range sessions {
		t.Run(s.name, func(t *testing.T) {
			for round := 0; round < 2; round++ {
				media := mediaOf(t, s.url)
				got := fetchBody(t, media)
				if round > 0 {
					// The anchor moved to the window of round 0.
					assert.Greater(t, rec.last(), s.first, "listed from the anchor, not the session's start")
				}
				want := fetchBody(t, strings.Replace(media, r.url, other, 1))
				assert.Equal(t, withoutPublishTime(want), withoutPublishTime(got), "round %d: the same as a server without the anchor", round)
				// The window's first and last segments, served alike.
				for _, seg := range segmentURIs(t, s.name, got) {
					assert.Equal(t, fetchBody(t, strings.Replace(resolve(media, seg), r.url, other, 1)), fetchBody(t, resolve(media, seg)), seg)
				}
				putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start.Add(time.Duration(2+round)*time.Minute), 2)
			}
		})
	}
}

// publishTime is a dynamic MPD's publishTime attribute: the time it was
// made, which two servers do not share.
var publishTime = regexp.MustCompile(` publishTime="[^"]*"`)

func withoutPublishTime(b []byte) string {
	return utcTiming.ReplaceAllString(publishTime.ReplaceAllString(string(b), ""), "")
}

// utcTiming matches the DASH manifest's UTCTiming value, which names the
// server that answered (its port).
var utcTiming = regexp.MustCompile(`<UTCTiming [^>]*>`)

// mediaOf returns the URL of a session's media playlist (HLS: the
// master's first, the video's) or manifest (DASH).
func mediaOf(t *testing.T, u string) string {
	t.Helper()
	body := fetchBody(t, u)
	if strings.Contains(u, "/dash/") {
		return u
	}
	for _, line := range strings.Split(string(body), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return resolve(u, line)
		}
	}
	t.Fatalf("no media playlist in %s", body)
	return ""
}

// segmentURIs returns the first and last segment URIs of a media
// playlist, or for a manifest its first track's first and last segments.
func segmentURIs(t *testing.T, name string, body []byte) []string {
	t.Helper()
	if strings.HasPrefix(name, "DASH") {
		var m mpdTimeline
		require.NoError(t, xml.Unmarshal(body, &m))
		l := m.Period().Sets[0].Rep.List
		require.NotEmpty(t, l.S)
		seg := func(k int) string {
			return strings.Replace(l.Media, "$Number$", strconv.FormatInt(l.Start+int64(k), 10), 1)
		}
		return []string{l.Init, seg(0), seg(len(l.S) - 1)}
	}
	pl := parseMediaPlaylist(t, body)
	require.NotEmpty(t, pl.uris)
	return []string{pl.uris[0], pl.uris[len(pl.uris)-1]}
}

// fetchBody fetches a URL, which must answer 200, and returns its body.
func fetchBody(t *testing.T, u string) []byte {
	t.Helper()
	code, body := fetchURL(t, u)
	require.Equal(t, http.StatusOK, code, "%s: %s", u, body)
	return body
}
