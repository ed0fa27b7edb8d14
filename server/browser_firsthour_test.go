package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/archived"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// openServer is a server on a new archive without credentials: the page
// makes unsigned requests, which such a server takes from loopback clients.
func openServer(t *testing.T) (*server.Server, *archive.FS) {
	t.Helper()
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	srv, err := server.New(server.Config{Store: store, Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	require.NoError(t, err)
	return srv, store
}

// clipCounter counts the requests for clip URLs.
type clipCounter struct {
	next http.Handler
	n    atomic.Int64
}

func (c *clipCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/clips/") {
		c.n.Add(1)
	}
	c.next.ServeHTTP(w, r)
}

// shooter saves full-page screenshots, numbered in the order taken, to
// KVSCLIP_SCREENSHOT_DIR or else to a temporary directory.
type shooter struct {
	t   *testing.T
	ctx context.Context
	dir string
	n   int
}

func newShooter(t *testing.T, ctx context.Context) *shooter {
	dir := os.Getenv("KVSCLIP_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	return &shooter{t: t, ctx: ctx, dir: dir}
}

func (s *shooter) shot(name string) {
	s.t.Helper()
	png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	require.NoError(s.t, err)
	s.n++
	path := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
	require.NoError(s.t, os.WriteFile(path, png, 0o644))
	s.t.Logf("screenshot %s", path)
}

// waitJS polls an expression in the page until it is truthy and returns
// its value.
func waitJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return js[T](t, ctx, `new Promise((resolve, reject) => {
  const began = Date.now();
  const poll = () => {
    let v;
    try { v = (`+expr+`); } catch (e) { v = undefined; }
    if (v) resolve(v);
    else if (Date.now() - began > 20000) reject(new Error("waited 20 s for: " + `+strconv.Quote(expr)+`));
    else setTimeout(poll, 50);
  };
  poll();
})`)
}

// isoTime writes epoch seconds as the page does: UTC, milliseconds when
// there are some.
func isoTime(sec float64) string {
	t := time.UnixMilli(int64(math.Round(sec * 1000))).UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// clipFacts fetches a clip URL as the page's check does and returns its
// status, error type and message or provenance headers.
func clipFacts(t *testing.T, url string) (*http.Response, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Range", "bytes=0-0")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]string{}
	if resp.StatusCode >= 400 {
		var e struct{ Message string }
		require.NoError(t, json.Unmarshal(body, &e), "%s", body)
		out["message"] = e.Message
	}
	return resp, out
}

// TestBrowserPageFirstHour: what the issue "The first hour with kvsclip"
// asks of the page, in Chromium. With no streams the page shows how to
// create one and put a recording into it; an empty stream shows its put
// line. Times typed in the start and end inputs are read as ISO 8601 with
// Z or an offset, local time or epoch seconds, and anything else is refused
// next to the input without a request. The server's errors (start after
// end, a range without fragments, a codec GetClip does not take) are shown
// in words, its type and message, instead of the <video>'s "Format error";
// a clip the server makes and the browser cannot decode (H.265 here) is
// said to be the browser's failure, with the advice to download it. The caption gives
// the range the clip actually holds, from its provenance headers, beside
// the asked one; a clip cut at GetClip's 200 fragments says so and plays
// the next part from X-Kvsclip-Next-Start-Timestamp. The timeline zooms
// and pans by wheel, keys and buttons, with its axis relabelled, and a drag
// on a zoomed timeline selects within the view. The player sits under the
// stream it plays; every stream has a download link with the clip URL and
// a file name.
func TestBrowserPageFirstHour(t *testing.T) {
	bin := chromiumPath(t)
	srv, store := openServer(t)
	counter := &clipCounter{next: srv}
	hs := httptest.NewServer(counter)
	t.Cleanup(hs.Close)
	r := &rig{t: t, url: hs.URL, srv: srv, store: store}
	r.kv, r.media = sdkClients(hs.URL, testKeyID, testSecret)

	bctx := startBrowser(t, bin, 150*time.Second)
	shots := newShooter(t, bctx)

	// No streams: how to make one and fill it, for this server.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(hs.URL+"/")))
	hint := js[[]string](t, bctx, `window.kvsclip.ready.then(() => [...document.querySelectorAll(".no-streams code")].map(e => e.textContent))`)
	require.Len(t, hint, 2)
	assert.Contains(t, hint[0], hs.URL+"/createStream")
	assert.Equal(t, "kvsclip put --endpoint "+hs.URL+" --stream demo recording.mkv", hint[1])
	shots.shot("no-streams")

	// cam: one recording (9 fragments, about 31 s); empty: none; long: 207
	// fragments, more than one clip holds.
	r.createStream("cam", 24)
	r.createStream("empty", 24)
	r.createStream("long", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	putAt := func(stream string, at time.Time) int {
		f, err := os.Open(producerFile(t, "vogels_480.mkv"))
		require.NoError(t, err)
		defer f.Close()
		var acks []putack.Ack
		require.NoError(t, putclient.PutMedia(context.Background(), nil, putclient.Input{Endpoint: r.url, StreamName: stream,
			TimecodeType: "RELATIVE", StartTimestamp: at, Body: f}, func(a putack.Ack) { acks = append(acks, a) }))
		return len(persisted(acks))
	}
	require.Equal(t, 9, putAt("cam", start))
	// fourcc: a codec GetClip does not take (a FourCC track from the
	// parser library's recordings).
	r.createStream("fourcc", 24)
	odd := rewrite(t, filepath.Join(filepath.Dir(filepath.Dir(producerFile(t, "vogels_480.mkv"))), "getmedia", "test_mixed_tags.mkv"), func(*mkv.Header, []*mkv.Fragment) {})
	var acks []putack.Ack
	require.NoError(t, putclient.PutMedia(context.Background(), nil, putclient.Input{Endpoint: r.url, StreamName: "fourcc",
		TimecodeType: "RELATIVE", StartTimestamp: start, Body: bytes.NewReader(odd)}, func(a putack.Ack) { acks = append(acks, a) }))
	require.NotEmpty(t, persisted(acks))
	// hevc: H.265 alone, which GetClip takes and this Chromium (no GPU)
	// cannot decode.
	_, err := r.kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{
		StreamName: aws.String("hevc"), DataRetentionInHours: aws.Int32(24), MediaType: aws.String("video/h265")})
	require.NoError(t, err)
	hevc := rewrite(t, filepath.Join("..", "testdata", "hevc-main10-174x142-aac16k-stereo.getmedia.mkv"), func(h *mkv.Header, frags []*mkv.Fragment) {
		h.Tracks = h.Tracks[:1]
		for _, f := range frags {
			kept := f.Blocks[:0]
			for _, b := range f.Blocks {
				if b.Track == h.Tracks[0].Number {
					kept = append(kept, b)
				}
			}
			f.Blocks = kept
		}
	})
	acks = nil
	require.NoError(t, putclient.PutMedia(context.Background(), nil, putclient.Input{Endpoint: r.url, StreamName: "hevc",
		TimecodeType: "RELATIVE", StartTimestamp: start, Body: bytes.NewReader(hevc)}, func(a putack.Ack) { acks = append(acks, a) }))
	require.NotEmpty(t, persisted(acks))
	longStart := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for k := 0; n <= 200; k++ {
		n += putAt("long", longStart.Add(time.Duration(k)*40*time.Second))
	}
	t.Logf("long: %d fragments", n)

	require.NoError(t, chromedp.Do(bctx, chromedp.Reload()))
	require.Equal(t, []string{"cam", "empty", "fourcc", "hevc", "long"}, js[[]string](t, bctx, `window.kvsclip.ready.then(() => window.kvsclip.streams())`))
	assert.Equal(t, "kvsclip put --endpoint "+hs.URL+" --stream empty recording.mkv",
		js[string](t, bctx, `document.querySelector('article[data-stream="empty"] .empty pre code').textContent`))
	assert.True(t, js[bool](t, bctx, `document.querySelector('article[data-stream="empty"] .timeline').hidden`), "no timeline without fragments")

	// The forms a time is typed in.
	local := js[float64](t, bctx, `new Date(2024, 4, 1, 12, 0, 5).getTime() / 1000`)
	for in, want := range map[string]float64{
		"2024-05-01T12:00:05Z":          1714564805,
		"2024-05-01T12:00:05.25Z":       1714564805.25,
		"2024-05-01T14:00:05+02:00":     1714564805,
		"2024-05-01T06:30:05-0530":      1714564805,
		"2024-05-01 12:00:05":           local,
		"2024-05-01T12:00:05":           local,
		"  1714564805.5 ":               1714564805.5,
		"1714564805":                    1714564805,
		"2024-05-01 12:00:05.123 +0000": 1714564805.123,
	} {
		assert.Equal(t, want, js[float64](t, bctx, fmt.Sprintf(`window.kvsclip.parseTime(%q)`, in)), in)
	}
	for _, in := range []string{"", "yesterday", "2024-13-01T00:00:00Z", "2024-02-30 10:00", "12:00:05", "1714564805s", "2024-05-01T25:00:00Z"} {
		msg := js[string](t, bctx, fmt.Sprintf(`(() => { try { return "accepted " + window.kvsclip.parseTime(%q); } catch (e) { return e.message; } })()`, in))
		assert.NotContains(t, msg, "accepted", "%q", in)
	}

	cam := `article[data-stream="cam"] `
	typeIn := func(sel, text string) {
		t.Helper()
		js[any](t, bctx, `document.querySelector('`+sel+`').value = "", null`)
		require.NoError(t, chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(sel), text)))
	}
	// Nonsense is refused next to the input, and nothing is asked of the
	// server.
	before := counter.n.Load()
	typeIn(cam+".start", "noon tomorrow")
	require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(cam+".play"))))
	note := js[[]string](t, bctx, `[document.querySelector('`+cam+`.start').getAttribute("aria-invalid"), document.querySelector('`+cam+`.start + .note').textContent, String(document.querySelector('`+cam+`.download').hidden)]`)
	assert.Equal(t, "true", note[0])
	assert.Contains(t, note[1], "“noon tomorrow” is not a time")
	assert.Contains(t, note[1], "2024-03-01T12:00:05Z")
	assert.Equal(t, "true", note[2], "no download link for a range that is not one")
	assert.True(t, js[bool](t, bctx, `document.getElementById("player").hidden`), "no player")
	assert.Equal(t, before, counter.n.Load(), "no clip request")
	shots.shot("nonsense-time")

	// A 9.1 s range typed as ISO, the end with an offset: the clip holds
	// the fragments that start in it, and the caption says which.
	typeIn(cam+".start", "2024-05-01T12:00:01Z")
	typeIn(cam+".end", "2024-05-01T14:00:10.1+02:00")
	require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(cam+".play"))))
	got := waitJS[[]string](t, bctx, `document.getElementById("clip-info").dataset.start && [document.getElementById("clip-info").dataset.start, document.getElementById("clip-info").dataset.end, document.getElementById("clip-info").textContent, document.getElementById("clip-asked").textContent, document.getElementById("player").closest("article").dataset.stream]`)
	url := hs.URL + "/clips/cam.mp4?start=1714564801.000&end=1714564810.100&selector=producer&format=mp4"
	resp, _ := clipFacts(t, url)
	require.Equal(t, http.StatusPartialContent, resp.StatusCode)
	first, _ := strconv.ParseFloat(resp.Header.Get(archived.HeaderFirstProducer), 64)
	lastStart, _ := strconv.ParseFloat(resp.Header.Get(archived.HeaderLastProducer), 64)
	gs, _ := strconv.ParseFloat(got[0], 64)
	ge, _ := strconv.ParseFloat(got[1], 64)
	t.Logf("asked 12:00:01–12:00:10.1; caption %q / %q", got[2], got[3])
	assert.Equal(t, first, gs, "the caption starts at the first fragment")
	assert.Greater(t, ge, lastStart, "the caption ends at the end of the last fragment")
	assert.Greater(t, gs, float64(start.Unix()+1), "the first fragment starts after the asked start")
	assert.NotEqual(t, 1714564810.1, ge, "and the last one does not end at the asked end")
	assert.Contains(t, got[2], resp.Header.Get(archived.HeaderFragments)+" fragments")
	assert.Contains(t, got[3], "Asked for 2024-05-01T12:00:01Z – 2024-05-01T12:00:10.100Z (9.1 s)")
	assert.Equal(t, "cam", got[4], "the player is under the stream it plays")
	dur := waitJS[float64](t, bctx, `document.getElementById("video").duration`)
	assert.InDelta(t, ge-gs, dur, 0.2, "the video is as long as the caption says")
	shots.shot("actual-range")

	// The download link: the clip URL and a file name, without playing.
	dl := js[[]string](t, bctx, `[document.querySelector('`+cam+`.download').href, document.querySelector('`+cam+`.download').download]`)
	assert.Equal(t, url, dl[0])
	assert.Equal(t, "cam_20240501T120001Z_20240501T120010.100Z.mp4", dl[1])
	resp, err = http.Get(dl[0])
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "video/mp4", resp.Header.Get("Content-Type"))
	assert.Greater(t, len(body), 100000)

	// The server's errors, in its words.
	for _, c := range []struct{ name, stream, start, end, typ string }{
		{"start-after-end", "cam", "2024-05-01T12:00:20Z", "2024-05-01T12:00:10Z", "InvalidArgumentException"},
		{"no-fragments", "cam", "2030-01-01 00:00:00", "2030-01-01 00:10:00", "ResourceNotFoundException"},
		{"unsupported-codec", "fourcc", "", "", "UnsupportedStreamMediaTypeException"},
	} {
		art := `article[data-stream="` + c.stream + `"] `
		if c.start != "" {
			typeIn(art+".start", c.start)
			typeIn(art+".end", c.end)
		}
		href := js[string](t, bctx, `document.querySelector('`+art+`.download').href`)
		_, facts := clipFacts(t, href)
		require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(art+".play"))))
		shown := waitJS[[]string](t, bctx, `!document.getElementById("clip-error").hidden && [document.getElementById("clip-error").textContent, String(document.getElementById("video").hidden), document.getElementById("clip-info").textContent]`)
		t.Logf("%s: %q / %q", c.name, shown[2], shown[0])
		assert.Equal(t, c.typ+" "+facts["message"], shown[0], c.name)
		assert.NotEmpty(t, facts["message"])
		assert.Equal(t, "true", shown[1], "%s: no video", c.name)
		assert.NotContains(t, shown[0]+shown[2], "Format error")
		if c.name != "no-fragments" {
			shots.shot(c.name)
		}
	}

	// A clip the server makes and this browser cannot decode: the server
	// is asked again, says yes, and the browser is named.
	if js[string](t, bctx, `document.getElementById("video").canPlayType('video/mp4; codecs="hvc1.2.4.L93.B0"')`) == "" {
		require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`article[data-stream="hevc"] .play`))))
		shown := waitJS[[]string](t, bctx, `!document.getElementById("clip-error").hidden && [document.getElementById("clip-error").textContent, document.getElementById("clip-info").textContent]`)
		t.Logf("hevc: %q / %q", shown[1], shown[0])
		assert.Contains(t, shown[0], "The browser could not play this clip")
		assert.Contains(t, shown[0], "download it instead")
		assert.Contains(t, shown[1], "hevc: 2024-05-01T12:00:00Z", "the server made the clip")
		shots.shot("browser-cannot-decode")
	}

	// The whole of the long stream, the default selection: cut at 200
	// fragments, said so, and the next part a click away.
	long := `article[data-stream="long"] `
	require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(long+".play"))))
	cut := waitJS[[]string](t, bctx, `!document.getElementById("clip-cut").hidden && [document.getElementById("clip-cut").textContent, document.getElementById("clip-cut").dataset.next, document.getElementById("clip-info").textContent, document.getElementById("player").closest("article").dataset.stream]`)
	t.Logf("long: %q / %q", cut[2], cut[0])
	resp, _ = clipFacts(t, hs.URL+js[string](t, bctx, `new URL(document.getElementById("download").href).pathname + new URL(document.getElementById("download").href).search`))
	require.Equal(t, "true", resp.Header.Get(archived.HeaderTruncated))
	next := resp.Header.Get(archived.HeaderNextStartTimestamp)
	nextF, _ := strconv.ParseFloat(next, 64)
	assert.Contains(t, cut[0], "Cut at 200 fragments / 100 MB")
	assert.Contains(t, cut[0], "Continue from "+isoTime(nextF))
	assert.Equal(t, next, cut[1])
	assert.Contains(t, cut[2], "200 fragments")
	assert.Equal(t, "long", cut[3], "the player moved to the stream it plays")
	shots.shot("cut-at-200")
	require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#clip-cut .continue"))))
	rest := waitJS[[]string](t, bctx, `document.getElementById("clip-cut").hidden && document.getElementById("clip-info").dataset.start === `+strconv.Quote(next)+` && [document.getElementById("clip-info").textContent, document.querySelector('`+long+`.start').value]`)
	t.Logf("next part: %q", rest[0])
	assert.Contains(t, rest[0], fmt.Sprintf("%d fragments", n-200))
	assert.Equal(t, next, rest[1], "the form holds the next part's start")

	// Zoom and pan on the 2.5 h stream: the wheel about the pointer, the
	// keys, the buttons; the axis follows.
	full := js[[]float64](t, bctx, `window.kvsclip.view("long")`)
	fullSpan := full[1] - full[0]
	axis := func() string {
		return js[string](t, bctx, `[...document.querySelectorAll('`+long+`.axis span')].map(e => e.textContent).join(" | ")`)
	}
	axis0 := axis()
	// Mouse events land where the viewport is: bring the timeline into it.
	box := js[[]float64](t, bctx, `(() => { const c = document.querySelector('`+long+`canvas.timeline'); c.scrollIntoView({block: "center"}); const r = c.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	y := box[1] + box[3]/2
	for range 3 {
		require.NoError(t, chromedp.Do(bctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, box[0]+box[2]*0.25, y, func(p *input.DispatchMouseEventParams) {
			// Chromium wants both deltas, and a zero one would not be sent.
			p.DeltaX, p.DeltaY = 0.01, -500
		})))
	}
	zoomed := waitJS[[]float64](t, bctx, `(v => v[1] - v[0] < `+fmt.Sprint(fullSpan/4)+` && v)(window.kvsclip.view("long"))`)
	t.Logf("wheel: view %v of %v; axis %q", zoomed, full, axis())
	assert.InDelta(t, full[0]+fullSpan*0.25, zoomed[0]+(zoomed[1]-zoomed[0])*0.25, fullSpan*0.01, "the time under the pointer stays there")
	assert.NotEqual(t, axis0, axis(), "the axis is relabelled")
	require.NoError(t, chromedp.Do(bctx, chromedp.Focus(chromedp.CSS(long+"canvas.timeline")), chromedp.KeyEvent("+")))
	keyed := js[[]float64](t, bctx, `window.kvsclip.view("long")`)
	assert.InDelta(t, (zoomed[1]-zoomed[0])/2, keyed[1]-keyed[0], 0.01, "+ halves the view")
	require.NoError(t, chromedp.Do(bctx, chromedp.KeyEvent(kb.ArrowRight)))
	panned := js[[]float64](t, bctx, `window.kvsclip.view("long")`)
	assert.InDelta(t, keyed[0]+(keyed[1]-keyed[0])/4, panned[0], 0.01, "→ pans a quarter")
	require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(long+".zoom-out"))))
	out := js[[]float64](t, bctx, `window.kvsclip.view("long")`)
	assert.InDelta(t, 2*(panned[1]-panned[0]), out[1]-out[0], 0.01, "the − button doubles the view")
	// A drag across the middle of the zoomed timeline selects within the
	// view, not the stream.
	require.NoError(t, chromedp.Do(bctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, box[0]+box[2]*0.4, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0]+box[2]*0.5, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, box[0]+box[2]*0.6, y, chromedp.ButtonLeft),
	))
	sel := js[[]string](t, bctx, `[document.querySelector('`+long+`.start').value, document.querySelector('`+long+`.end').value]`)
	ss, _ := strconv.ParseFloat(sel[0], 64)
	se, _ := strconv.ParseFloat(sel[1], 64)
	span := out[1] - out[0]
	assert.InDelta(t, out[0]+span*0.4, ss, span*0.02, "drag start %v in view %v", sel, out)
	assert.InDelta(t, out[0]+span*0.6, se, span*0.02, "drag end %v in view %v", sel, out)
	shots.shot("zoomed")
	require.NoError(t, chromedp.Do(bctx, chromedp.Focus(chromedp.CSS(long+"canvas.timeline")), chromedp.KeyEvent("0")))
	assert.Equal(t, full, js[[]float64](t, bctx, `window.kvsclip.view("long")`), "0: the whole stream")
	assert.Equal(t, axis0, axis())
}
