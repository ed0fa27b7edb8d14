package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/citest"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
)

// needPlayers checks that make deps put hls.js and dash.js, the page's
// players of HLS and DASH sessions, where the server looks for them. CI
// must have them; elsewhere a test that needs them skips.
func needPlayers(t *testing.T) {
	t.Helper()
	dir := server.DefaultPlayerDir()
	for _, name := range []string{"hls.min.js", "dash.mediaplayer.min.js"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			citest.Require(t, name+" in "+dir, "make player fetches it: "+err.Error())
		}
	}
}

// steadyMedia is seconds of a camera's H.264+AAC without holes: the
// committed recording's one-second fragments looped end to end. (Its last
// fragment, a single frame, is left out: looping it would leave most of a
// second without media after it, which a player must jump.)
func steadyMedia(t *testing.T, start time.Time, seconds float64) *producerMedia {
	t.Helper()
	src := loadProducerMedia(t, "h264-aac-160x120.getmedia.mkv", true, false, start, 0)
	require.Len(t, src.frags, 5)
	full := src.frags[:4]
	// The loop's period: from the first video frame to the frame after
	// the last one, one frame interval past it.
	var video []int64
	for _, f := range full {
		for _, b := range f.Blocks {
			if b.Track == 1 {
				video = append(video, b.Time)
			}
		}
	}
	interval := (video[len(video)-1] - video[0]) / int64(len(video)-1)
	period := video[len(video)-1] + interval - video[0]
	m := &producerMedia{header: src.header, start: start}
	for shift := int64(0); float64(shift) < seconds*1000; shift += period {
		for _, f := range full {
			g := *f
			g.Timecode += shift
			g.Blocks = slices.Clone(f.Blocks)
			for i := range g.Blocks {
				g.Blocks[i].Time += shift
			}
			m.frags = append(m.frags, &g)
		}
	}
	return m
}

// streamRealTime sends frags into the producer's PutMedia as a camera
// makes them: each fragment when its last frame has been shot, that is
// at its end on a clock started at began. The returned channel gets the
// first error, or nil once every fragment is sent or ctx is done.
func streamRealTime(ctx context.Context, p *liveProducer, frags []*mkv.Fragment, began time.Time) <-chan error {
	done := make(chan error, 1)
	go func() {
		t0 := frags[0].Timecode
		for i, f := range frags {
			end := f.Timecode - t0 + 1000
			if i+1 < len(frags) {
				end = frags[i+1].Timecode - t0
			}
			select {
			case <-ctx.Done():
				done <- nil
				return
			case <-time.After(time.Until(began.Add(time.Duration(end) * time.Millisecond))):
			}
			if err := p.w.WriteFragment(f); err != nil {
				done <- err
				return
			}
			if _, err := p.pw.Write(p.buf.Bytes()); err != nil {
				done <- err
				return
			}
			p.buf.Reset()
		}
		done <- nil
	}()
	return done
}

// sessionState is what window.kvsclip.session() reports of the page's
// session player.
type sessionState struct {
	Player       string   `json:"player"`
	Mode         string   `json:"mode"`
	URL          string   `json:"url"`
	CurrentTime  float64  `json:"currentTime"`
	ReadyState   int      `json:"readyState"`
	Paused       bool     `json:"paused"`
	Ended        bool     `json:"ended"`
	Duration     float64  `json:"duration"`
	Waiting      int      `json:"waiting"`
	FirstFrameMs float64  `json:"firstFrameMs"`
	Latency      *float64 `json:"latency"`
	Ahead        float64  `json:"ahead"`
	Error        string   `json:"error"`
}

// liveWatch is how long the test watches the live view play.
const liveWatch = 8 * time.Second

// TestBrowserSessions: while a producer streams a camera's H.264+AAC into
// the server in real time, the page's live view (a LIVE HLS session,
// played by hls.js in Chromium) plays on: its current time keeps up with
// the clock for several seconds, with enough data ahead at every look and
// no 'waiting' event. Then the page plays a chosen range of what was
// recorded as an ON_DEMAND HLS session to its end. Start-up times and how
// far the live view plays behind are logged.
func TestBrowserSessions(t *testing.T) {
	bin := chromiumPath(t)
	needPlayers(t)
	r := newRig(t)
	r.createStream("cam", 24)
	began := time.Now()
	media := steadyMedia(t, began, 40)
	p := startLiveProducer(t, r, "cam", began)
	ctx, stopProducer := context.WithCancel(context.Background())
	sent := streamRealTime(ctx, p, media.frags, began)
	defer func() {
		stopProducer()
		require.NoError(t, <-sent)
		p.close(t)
	}()

	bctx := startBrowser(t, bin, 120*time.Second)
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(r.url+"/")))
	js[any](t, bctx, `window.kvsclip.ready.then(() => null)`)
	// hls.js stays LIVE_DELAY (3 s) behind the newest media: it starts
	// once the playlist holds that much.
	p.waitAcked(t, 3)
	streams := js[[]string](t, bctx, fmt.Sprintf(`window.kvsclip.signIn(%q, %q).then(() => window.kvsclip.streams())`, testKeyID, testSecret))
	require.Equal(t, []string{"cam"}, streams)

	// The live view, in each protocol. hls.js dates the picture by the
	// playlist's PROGRAM-DATE-TIME, the fragment's server timestamp (when
	// its first byte arrived: this camera sends a fragment once its last
	// frame is shot, a fragment's length after its first); dash.js by the
	// manifest's timeline, producer time.
	frags, err := r.media.ListFragments(context.Background(), &am.ListFragmentsInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	var ahead []float64
	for _, f := range frags.Fragments {
		ahead = append(ahead, f.ServerTimestamp.Sub(*f.ProducerTimestamp).Seconds())
	}
	slices.Sort(ahead)
	serverAhead := ahead[len(ahead)/2]
	for _, c := range []struct {
		protocol, player, resource string
		serverTime                 bool
	}{
		{"HLS", "hls.js", "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=", true},
		{"DASH", "dash.js", "/dash/v1/getDASHManifest.mpd?SessionToken=", false},
	} {
		lat := watchLive(t, bctx, c.protocol, c.player, c.resource)
		med, age := lat[len(lat)/2], lat[len(lat)/2]
		if c.serverTime {
			age += serverAhead
		}
		t.Logf("%s live view, as %s tells it: behind min %.2f s, median %.2f s, max %.2f s (server timestamps after producer ones by a median %.2f s): the picture shown is about %.1f s old",
			c.protocol, c.player, lat[0], med, lat[len(lat)-1], serverAhead, age)
	}

	// A range of the recording, played to its end through an ON_DEMAND
	// session, at 4x: with hls.js, and with the browser's own HLS where
	// it says it has one (Chromium from about version 141).
	from, to := began.Add(2*time.Second), began.Add(8*time.Second)
	want := recordedSpan(t, r, from, to)
	assert.InDelta(t, to.Sub(from).Seconds(), want, 1.5, "the fragments hold the range")
	js[any](t, bctx, fmt.Sprintf(`window.kvsclip.select("cam", %.3f, %.3f), null`, float64(from.UnixMilli())/1000, float64(to.UnixMilli())/1000))
	players := []string{"hls.js"}
	if native := js[string](t, bctx, `document.getElementById("session-video").canPlayType("application/vnd.apple.mpegurl")`); native != "" {
		players = append(players, "native")
	} else {
		t.Log("this Chromium has no HLS of its own")
	}
	for _, player := range players {
		url := js[string](t, bctx, fmt.Sprintf(`window.kvsclip.playRange("cam", "HLS", %q)`, player))
		require.Contains(t, url, "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=")
		requireEndedPlaylist(t, url)
		js[any](t, bctx, `(v => { v.playbackRate = 4; v.addEventListener("loadedmetadata", () => { v.playbackRate = 4; }); })(document.getElementById("session-video")), null`)
		done := waitJS[sessionState](t, bctx, `(s => (s.ended || s.error) && s)(window.kvsclip.session())`)
		t.Logf("range %s – %s: fragments span %.3f s; %s played it: ended %v at %.3f s of %.3f s, first frame after %.0f ms, %d 'waiting'",
			from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), want, done.Player, done.Ended, done.CurrentTime, done.Duration, done.FirstFrameMs, done.Waiting)
		assert.Empty(t, done.Error, player)
		assert.True(t, done.Ended, "%s: ended fires", player)
		assert.Equal(t, "ON_DEMAND", done.Mode)
		assert.Equal(t, player, done.Player)
		assert.InDelta(t, want, done.Duration, 0.1, "%s: the video lasts as long as the range's fragments", player)
		assert.InDelta(t, done.Duration, done.CurrentTime, 0.1, "%s: played to the end", player)
	}
}

// watchLive starts the page's live view of stream cam in protocol and
// watches it for liveWatch: it must play through player, its current
// time keeping up with the clock, data ahead at every look, and no
// 'waiting' event. It returns the sorted latencies the player reported,
// from the fragments' timestamps.
func watchLive(t *testing.T, bctx context.Context, protocol, player, resource string) []float64 {
	t.Helper()
	url := js[string](t, bctx, fmt.Sprintf(`window.kvsclip.live("cam", %q)`, protocol))
	require.Contains(t, url, resource, "the page got a session: %+v", js[sessionState](t, bctx, `window.kvsclip.session()`))
	first := waitJS[sessionState](t, bctx, `(s => (s.firstFrameMs > 0 || s.error) && s)(window.kvsclip.session())`)
	require.Empty(t, first.Error)
	t.Logf("%s live view: first frame %.0f ms after the button (session URL, playlists, init and media segments), player %s", protocol, first.FirstFrameMs, first.Player)
	assert.Equal(t, player, first.Player)
	assert.Equal(t, "LIVE", first.Mode)

	var looks []sessionState
	var wall []time.Time
	// Looks at the playing view, four a second: playing live over the
	// wall clock is what is watched, so the wall clock paces the looks.
	for end := time.Now().Add(liveWatch); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		looks = append(looks, js[sessionState](t, bctx, `window.kvsclip.session()`))
		wall = append(wall, time.Now())
	}
	var lat []float64
	for i, s := range looks {
		assert.Empty(t, s.Error, "%s look %d", protocol, i)
		assert.False(t, s.Paused, "%s look %d: playing", protocol, i)
		assert.GreaterOrEqual(t, s.ReadyState, 3, "%s look %d: data ahead of the play head (HAVE_FUTURE_DATA)", protocol, i)
		// A look may come while a starved renderer has not moved the
		// clock: over a second it must have.
		if i >= 4 {
			assert.Greater(t, s.CurrentTime, looks[i-4].CurrentTime, "%s look %d: time goes on", protocol, i)
		}
		if s.Latency != nil {
			lat = append(lat, *s.Latency)
		}
	}
	// KVSCLIP_SCREENSHOT_DIR keeps the page playing live (CI artifacts,
	// or a look by hand).
	if dir := os.Getenv("KVSCLIP_SCREENSHOT_DIR"); dir != "" {
		page, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "live-"+strings.ToLower(protocol)+".png"), page, 0o644))
	}
	last := looks[len(looks)-1]
	advanced, elapsed := last.CurrentTime-looks[0].CurrentTime, wall[len(wall)-1].Sub(wall[0]).Seconds()
	t.Logf("%s live view: currentTime advanced %.2f s in %.2f s; %d 'waiting' events", protocol, advanced, elapsed, last.Waiting)
	// On a loaded machine the renderer may fall a little behind the
	// clock: 80% is asked, where a stall would stop it.
	assert.Greater(t, advanced, 0.8*elapsed, "%s: the live view keeps up with the clock", protocol)
	assert.Less(t, advanced, elapsed+0.3, "%s: and does not run ahead of it", protocol)
	assert.Zero(t, last.Waiting, "%s: no stall", protocol)
	if t.Failed() {
		for i, s := range looks {
			t.Logf("%s look %d at %.2f s: currentTime %.2f, readyState %d, %.2f s buffered ahead, waiting %d", protocol, i, wall[i].Sub(wall[0]).Seconds(), s.CurrentTime, s.ReadyState, s.Ahead, s.Waiting)
		}
	}
	require.NotEmpty(t, lat, "%s tells how far behind the live edge it plays", player)
	slices.Sort(lat)
	assert.Less(t, lat[len(lat)-1], 4*float64(liveDelay), "%s: the live view stays near the live edge", protocol)
	return lat
}

// liveDelay is the page's LIVE_DELAY in seconds.
const liveDelay = 3

// recordedSpan is how long the fragments that start in [from, to]
// last, by producer time: from the first one's start to the last one's
// end.
func recordedSpan(t *testing.T, r *rig, from, to time.Time) float64 {
	t.Helper()
	out, err := r.media.ListFragments(context.Background(), &am.ListFragmentsInput{StreamName: aws.String("cam"),
		FragmentSelector: &amtypes.FragmentSelector{FragmentSelectorType: amtypes.FragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.TimestampRange{StartTimestamp: &from, EndTimestamp: &to}}})
	require.NoError(t, err)
	fs := out.Fragments
	require.NotEmpty(t, fs)
	slices.SortFunc(fs, func(a, b amtypes.Fragment) int { return a.ProducerTimestamp.Compare(*b.ProducerTimestamp) })
	last := fs[len(fs)-1]
	end := last.ProducerTimestamp.Add(time.Duration(last.FragmentLengthInMilliseconds) * time.Millisecond)
	return end.Sub(*fs[0].ProducerTimestamp).Seconds()
}

// requireEndedPlaylist follows an HLS master playlist to its first media
// playlist and requires it to end (EXT-X-ENDLIST), as an ON_DEMAND one
// does; parseMediaPlaylist checks it against RFC 8216 on the way.
func requireEndedPlaylist(t *testing.T, master string) {
	t.Helper()
	require.True(t, parseMediaPlaylist(t, fetchBody(t, mediaOf(t, master))).ended, "an ON_DEMAND playlist ends")
}

// TestBrowserSessionNoPlayer: on a server without the player library the
// page says so, names the fix, and asks for no session; the player
// directory is served only by its known file names.
func TestBrowserSessionNoPlayer(t *testing.T) {
	bin := chromiumPath(t)
	r := newRig(t, func(c *server.Config) { c.PlayerDir = t.TempDir() })
	r.createStream("cam", 24)
	for _, path := range []string{"/web/player/hls.min.js", "/web/player/LICENSE", "/web/player/", "/web/player/other.js"} {
		resp, _ := get(t, r.url+path, nil)
		assert.Equal(t, 404, resp.StatusCode, path)
	}
	bctx := startBrowser(t, bin, 60*time.Second)
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(r.url+"/")))
	js[any](t, bctx, `window.kvsclip.ready.then(() => null)`)
	js[any](t, bctx, fmt.Sprintf(`window.kvsclip.signIn(%q, %q).then(() => null)`, testKeyID, testSecret))
	url := js[string](t, bctx, `window.kvsclip.live("cam", "HLS", "hls.js")`)
	assert.Empty(t, url, "no player, no session")
	s := js[sessionState](t, bctx, `window.kvsclip.session()`)
	assert.Contains(t, s.Error, "make deps", "the page says how to get the player")
	assert.Contains(t, s.Error, "--player-dir")
	shown := js[bool](t, bctx, `!document.getElementById("session-error").hidden && !document.getElementById("session").hidden`)
	assert.True(t, shown, "the message is on the page")
}

// TestBrowserDASHPeriods: a range over two recordings whose codec data
// differ (another profile, another picture size) plays in Chromium
// through dash.js to its end: the manifest's second Period sets the
// decoder up again where the second recording starts.
func TestBrowserDASHPeriods(t *testing.T) {
	bin := chromiumPath(t)
	needPlayers(t)
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	second := start.Add(5 * time.Second)
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start, 3)
	putRecording(t, r, "cam", "h264-main-aac44k-stereo.getmedia.mkv", true, second, 3)
	end := second.Add(10 * time.Second)

	bctx := startBrowser(t, bin, 60*time.Second)
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(r.url+"/")))
	js[any](t, bctx, `window.kvsclip.ready.then(() => null)`)
	js[any](t, bctx, fmt.Sprintf(`window.kvsclip.signIn(%q, %q).then(() => null)`, testKeyID, testSecret))
	js[any](t, bctx, fmt.Sprintf(`window.kvsclip.select("cam", %d, %d), null`, start.Unix(), end.Unix()))
	url := js[string](t, bctx, `window.kvsclip.playRange("cam", "DASH")`)
	require.Contains(t, url, "/dash/v1/getDASHManifest.mpd?SessionToken=", "%+v", js[sessionState](t, bctx, `window.kvsclip.session()`))
	m, body := readMPD(t, url)
	require.Len(t, m.Periods, 2, "%s", body)
	js[any](t, bctx, `(v => { v.playbackRate = 4; v.addEventListener("loadedmetadata", () => { v.playbackRate = 4; }); })(document.getElementById("session-video")), null`)
	done := waitJS[sessionState](t, bctx, `(s => (s.ended || s.error) && s)(window.kvsclip.session())`)
	want := recordedSpan(t, r, start, end)
	t.Logf("two periods, %.3f s of recordings from the first start to the last end: %+v", want, done)
	assert.Empty(t, done.Error)
	assert.True(t, done.Ended, "ended fires")
	assert.Equal(t, "dash.js", done.Player)
	assert.InDelta(t, want, done.CurrentTime, 0.2, "played to the end of the second period")
}
