package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/citest"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// chromiumPath finds Debian's chromium. CI must have it (make deps installs
// it), so there its absence fails the test; elsewhere the test skips.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	citest.Require(t, "chromium", "make deps installs it")
	return ""
}

// rangeCounter counts the clip requests that carry a Range header, and
// among them those that start past byte 0: what a seek into a progressive
// clip sends when the bytes there are not loaded yet.
//
// With slow set, a clip answer from byte 0 trickles out (about 1.6 MB/s) as
// on a slow link: on loopback the browser would otherwise have the whole
// clip before it seeks, and never need a ranged request.
type rangeCounter struct {
	next           http.Handler
	ranged, offset atomic.Int64
	slow           atomic.Bool
}

func (c *rangeCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/clips/") {
		c.next.ServeHTTP(w, r)
		return
	}
	from := int64(0)
	if rg := r.Header.Get("Range"); rg != "" {
		c.ranged.Add(1)
		a, _, _ := strings.Cut(strings.TrimPrefix(rg, "bytes="), "-")
		if n, err := strconv.ParseInt(a, 10, 64); err == nil && n > 0 {
			c.offset.Add(1)
			from = n
		}
	}
	if from == 0 && c.slow.Load() {
		w = &slowWriter{ResponseWriter: w, ctx: r.Context()}
	}
	c.next.ServeHTTP(w, r)
}

// slowWriter writes 32 KiB every 20 ms until its request is gone.
type slowWriter struct {
	http.ResponseWriter
	ctx context.Context
}

func (s *slowWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), 32<<10)
		m, err := s.ResponseWriter.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		if f, ok := s.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		p = p[k:]
		select {
		case <-s.ctx.Done():
			return n, s.ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return n, nil
}

// playResult is what the page's <video> reported for one clip.
type playResult struct {
	Ended       bool     `json:"ended"`
	TimedOut    bool     `json:"timedOut"`
	Duration    float64  `json:"duration"`
	CurrentTime float64  `json:"currentTime"`
	Errors      []string `json:"errors"`
}

// playVideo is a script that plays a <video> — the first verb finds or
// makes it, the second starts it — at 8x until it ends, fails, or the
// page's own deadline passes.
const playVideo = `new Promise(resolve => {
  const v = %s;
  const res = {ended: false, timedOut: false, errors: []};
  const done = () => { res.duration = v.duration; res.currentTime = v.currentTime; resolve(res); };
  v.muted = true;
  v.defaultPlaybackRate = 8;
  v.onerror = () => { res.errors.push(v.error ? v.error.code + " " + v.error.message : "error"); done(); };
  v.onended = () => { res.ended = true; done(); };
  v.onloadedmetadata = () => { v.playbackRate = 8; };
  %s;
  setTimeout(() => { res.timedOut = true; done(); }, 45000);
})`

// playToEnd loads the chosen range of stream cam in a format and plays it
// in the page's player.
func playToEnd(format string) string {
	return fmt.Sprintf(playVideo, `document.getElementById("video")`, fmt.Sprintf(`window.kvsclip.play("cam", %q)`, format))
}

// playFile plays the MP4 at a URL in a <video> of its own.
func playFile(url string) string {
	return fmt.Sprintf(playVideo, `document.body.appendChild(document.createElement("video"))`,
		fmt.Sprintf(`v.src = %q; v.play().catch(e => { res.errors.push(String(e)); done(); })`, url))
}

// TestBrowserPage: the page at / lists the stream, draws its fragments
// with the gap between two recordings, takes a range dragged on the
// timeline, and plays H.264+AAC clips to their end in Chromium, progressive
// and fragmented, with the clip's duration; a seek into a progressive clip
// is served by a ranged request.
func TestBrowserPage(t *testing.T) {
	bin := chromiumPath(t)
	srv, store := openServer(t)
	counter := &rangeCounter{next: srv}
	// /files/ serves MP4 files made here, beside the server's routes.
	files := t.TempDir()
	mux := http.NewServeMux()
	mux.Handle("/files/", http.StripPrefix("/files/", http.FileServer(http.Dir(files))))
	mux.Handle("/", counter)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	r := &rig{t: t, url: hs.URL, srv: srv, store: store}
	r.kv, r.media = sdkClients(hs.URL, testKeyID, testSecret)
	r.createStream("cam", 24)
	// An H.265 stream (empty: the page judges the codec by MediaType),
	// which Debian's Chromium without a GPU cannot decode.
	_, err := r.kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{
		StreamName: aws.String("hevc"), DataRetentionInHours: aws.Int32(24), MediaType: aws.String("video/h265")})
	require.NoError(t, err)
	// Two recordings a minute apart: the timeline must show the hole.
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{start, start.Add(time.Minute)} {
		f, err := os.Open(producerFile(t, "vogels_480.mkv"))
		require.NoError(t, err)
		var acks []putack.Ack
		err = putclient.PutMedia(context.Background(), nil, putclient.Input{Endpoint: r.url, StreamName: "cam",
			TimecodeType: "RELATIVE", StartTimestamp: at, Body: f}, func(a putack.Ack) { acks = append(acks, a) })
		f.Close()
		require.NoError(t, err)
		require.Len(t, persisted(acks), 9)
	}

	bctx := startBrowser(t, bin, 80*time.Second)

	// The page loads the streams and their fragments.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(hs.URL+"/")))
	streams := js[[]string](t, bctx, `window.kvsclip.ready.then(() => window.kvsclip.streams())`)
	require.Equal(t, []string{"cam", "hevc"}, streams)
	playable := js[bool](t, bctx, `window.kvsclip.canPlay("cam")`)
	canH264 := js[string](t, bctx, `document.getElementById("video").canPlayType('video/mp4; codecs="avc1.64001F, mp4a.40.2"')`)
	hevc := js[string](t, bctx, `document.getElementById("video").canPlayType('video/mp4; codecs="hvc1.1.6.L93.B0"')`)
	t.Logf("canPlayType: H.264+AAC %q, HEVC %q", canH264, hevc)
	require.True(t, playable, "this Chromium cannot play H.264+AAC")
	warning := js[string](t, bctx, `document.querySelector('article[data-stream="cam"] .codec').hidden ? "" : "shown"`)
	assert.Empty(t, warning, "no codec warning for a playable stream")
	if hevc == "" {
		warning = js[string](t, bctx, `(e => e.hidden ? "" : e.textContent)(document.querySelector('article[data-stream="hevc"] .codec'))`)
		assert.Contains(t, warning, "cannot play", "the page says the browser cannot play H.265")
	}

	// The thumbnails under the timeline come from GetImages: pictures of
	// the two recordings, at the strip's height, and "no media" over the
	// hole between them.
	thumbs := js[[]string](t, bctx, `window.kvsclip.thumbnails("cam")`)
	require.Len(t, thumbs, 8)
	sizes := js[[][]float64](t, bctx, `[...document.querySelectorAll('article[data-stream="cam"] .thumbs img')].map(i => [i.naturalWidth, i.naturalHeight])`)
	require.Len(t, sizes, 8)
	frags, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	var holeFrom float64 // where the first recording ends
	for _, f := range frags.Fragments {
		if end := float64(f.ProducerTimestamp.UnixMilli()+f.FragmentLengthInMilliseconds) / 1000; f.ProducerTimestamp.Before(start.Add(time.Minute)) {
			holeFrom = max(holeFrom, end)
		}
	}
	view := js[[]float64](t, bctx, `window.kvsclip.view("cam")`)
	t.Logf("thumbnails: %v", thumbs)
	for i, st := range thumbs {
		// Each shows the middle of its eighth of the view.
		at := view[0] + (view[1]-view[0])*(float64(i)+0.5)/8
		if at > holeFrom && at < float64(start.Add(time.Minute).Unix()) {
			assert.Equal(t, "NO_MEDIA", st, "thumbnail %d, in the hole", i)
			assert.Zero(t, sizes[i][0], "thumbnail %d", i)
			continue
		}
		assert.Equal(t, "image", st, "thumbnail %d", i)
		assert.Equal(t, []float64{54 * 640 / 480, 54}, sizes[i], "thumbnail %d: its natural size", i)
	}

	// Drag over the start of the timeline, the first recording: the form
	// takes the range.
	sel := `article[data-stream="cam"] canvas.timeline`
	box := js[[]float64](t, bctx, `(() => { const r = document.querySelector('`+sel+`').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	y := box[1] + box[3]/2
	require.NoError(t, chromedp.Do(bctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, box[0]+box[2]*0.05, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0]+box[2]*0.12, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0]+box[2]*0.2, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, box[0]+box[2]*0.2, y, chromedp.ButtonLeft),
	))
	dragged := js[[]string](t, bctx, `[document.querySelector('article[data-stream="cam"] .start').value, document.querySelector('article[data-stream="cam"] .end').value]`)
	t0, t1 := float64(start.Unix()), float64(start.Add(time.Minute).Unix())+30
	ds, _ := strconv.ParseFloat(dragged[0], 64)
	de, _ := strconv.ParseFloat(dragged[1], 64)
	span := t1 - t0
	assert.InDelta(t, t0+span*0.05, ds, span*0.03, "drag start %v", dragged)
	assert.InDelta(t, t0+span*0.2, de, span*0.03, "drag end %v", dragged)

	// The timeline with the drag's selection on it.
	shot, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS(sel)))
	require.NoError(t, err)
	shotPath := filepath.Join(t.TempDir(), "timeline.png")
	require.NoError(t, os.WriteFile(shotPath, shot, 0o644))
	// KVSCLIP_SCREENSHOT_DIR keeps the timeline and the whole page (CI
	// artifacts, or a look by hand); t.TempDir is removed after the test.
	if dir := os.Getenv("KVSCLIP_SCREENSHOT_DIR"); dir != "" {
		page, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "timeline.png"), shot, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "page.png"), page, 0o644))
	}
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	colors, nonBG := pngStats(img)
	t.Logf("timeline screenshot %s: %dx%d, %d colors, %.0f%% pixels not background", shotPath, img.Bounds().Dx(), img.Bounds().Dy(), colors, 100*nonBG)
	assert.GreaterOrEqual(t, colors, 4, "background, fragments, boundaries, selection")
	assert.Greater(t, nonBG, 0.3, "fragments drawn")
	// Across the middle row: selection over fragments at 12%, the gap
	// between the recordings (30 s to 60 s of 90) at 50%, fragments at 85%.
	mid := img.Bounds().Dy() / 2
	at := func(frac float64) [3]uint32 {
		r, g, b, _ := img.At(int(frac*float64(img.Bounds().Dx())), mid).RGBA()
		return [3]uint32{r >> 8, g >> 8, b >> 8}
	}
	chosen, gap, frag := at(0.12), at(0.5), at(0.85)
	r0, g0, b0, _ := img.At(0, 0).RGBA()
	t.Logf("timeline colors: top-left %v, selection %v, gap %v, fragments %v", [3]uint32{r0 >> 8, g0 >> 8, b0 >> 8}, chosen, gap, frag)
	assert.Equal(t, [3]uint32{r0 >> 8, g0 >> 8, b0 >> 8}, gap, "the gap shows the background")
	assert.NotEqual(t, gap, frag, "fragments are drawn")
	assert.NotEqual(t, frag, chosen, "the selection is drawn")

	// Six seconds from the first recording's start, both formats.
	clipStart, clipEnd := start.Unix(), start.Add(6*time.Second).Unix()
	js[any](t, bctx, fmt.Sprintf(`window.kvsclip.select("cam", %d, %d), null`, clipStart, clipEnd))
	for _, format := range []string{"mp4", "fmp4"} {
		want := clipDuration(t, fmt.Sprintf("%s/clips/cam.mp4?start=%d&end=%d&selector=producer&format=%s", hs.URL, clipStart, clipEnd, format))
		began := time.Now()
		res := js[playResult](t, bctx, playToEnd(format))
		t.Logf("%s: clip %.3f s, played in %v: %+v", format, want, time.Since(began).Round(time.Millisecond), res)
		assert.Empty(t, res.Errors, format)
		assert.True(t, res.Ended, "%s: ended fires", format)
		assert.False(t, res.TimedOut, format)
		assert.InDelta(t, want, res.Duration, 0.05, "%s: the video's duration is the clip's", format)
		assert.InDelta(t, res.Duration, res.CurrentTime, 0.05, "%s: played to the end", format)
	}

	// Seek into the middle of a progressive clip of the whole first
	// recording, loaded but not played: the bytes there come by a ranged
	// request.
	before := counter.offset.Load()
	counter.slow.Store(true)
	js[any](t, bctx, fmt.Sprintf(`window.kvsclip.select("cam", %d, %d), null`, clipStart, clipStart+30))
	seeked := js[float64](t, bctx, `new Promise((resolve, reject) => {
  const v = document.getElementById("video");
  v.onended = null;
  v.onerror = () => reject(new Error("video error " + (v.error && v.error.message)));
  v.onloadedmetadata = () => { v.onseeked = () => resolve(v.currentTime); v.currentTime = v.duration / 2; };
  v.preload = "metadata";
  window.kvsclip.play("cam", "mp4", false);
  setTimeout(() => reject(new Error("no seeked event")), 30000);
})`)
	t.Logf("seeked to %.3f s; clip requests with Range: %d, starting past byte 0: %d", seeked, counter.ranged.Load(), counter.offset.Load())
	assert.Greater(t, seeked, 10.0)
	assert.Greater(t, counter.offset.Load(), before, "a ranged request for the middle of the clip")

	// A file as kvsclip clip FILE -o OUT writes it — in one pass, a free
	// box holding the index room it did not use before the sidx — plays
	// to its end too.
	writeOnePass(t, producerFile(t, "vogels_480.mkv"), filepath.Join(files, "onepass.mp4"))
	url := hs.URL + "/files/onepass.mp4"
	want := clipDuration(t, url)
	res := js[playResult](t, bctx, playFile(url))
	t.Logf("one-pass file: %.3f s: %+v", want, res)
	assert.Empty(t, res.Errors)
	assert.True(t, res.Ended, "ended fires")
	assert.InDelta(t, want, res.Duration, 0.05, "the video's duration is the file's")
	assert.InDelta(t, res.Duration, res.CurrentTime, 0.05, "played to the end")
}

// startBrowser starts a headless Chromium (at bin) for the length of the
// test, with a deadline, and returns its context.
func startBrowser(t *testing.T, bin string, timeout time.Duration) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1100, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	return bctx
}

// TestBrowserPageSigned: on a server with credentials the page shows its
// key form, keeps it up for wrong keys, and with the right ones signs its
// API calls (headers) and its clip URLs (presigned): it lists the stream
// and plays a clip to its end. Its SHA-256, which the signatures rest on,
// is checked against Go's.
func TestBrowserPageSigned(t *testing.T) {
	bin := chromiumPath(t)
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	f, err := os.Open(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	var acks []putack.Ack
	err = putclient.PutMedia(context.Background(), nil, putclient.Input{Endpoint: r.url, StreamName: "cam", TimecodeType: "RELATIVE",
		StartTimestamp: start, Body: f, Credentials: &r.creds, Region: testRegion}, func(a putack.Ack) { acks = append(acks, a) })
	f.Close()
	require.NoError(t, err)
	require.Len(t, persisted(acks), 9)

	bctx := startBrowser(t, bin, 60*time.Second)
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(r.url+"/")))
	formShown := `!document.getElementById("auth").hidden`
	assert.True(t, js[bool](t, bctx, `window.kvsclip.ready.then(() => `+formShown+`)`), "unsigned: the key form")
	for _, s := range []string{"", "abc", strings.Repeat("a", 55), strings.Repeat("b", 56), strings.Repeat("c", 64), strings.Repeat("d", 1000), "héllo ✓"} {
		sum := sha256.Sum256([]byte(s))
		assert.Equal(t, hex.EncodeToString(sum[:]), js[string](t, bctx, fmt.Sprintf(`window.kvsclip.sha256hex(%q)`, s)), "SHA-256 of %q", s)
	}

	wrong := js[[]any](t, bctx, fmt.Sprintf(`window.kvsclip.signIn(%q, "not the secret").then(() => [%s, window.kvsclip.streams()])`, testKeyID, formShown))
	assert.Equal(t, []any{true, []any{}}, wrong, "wrong keys: refused, the form again")
	streams := js[[]string](t, bctx, fmt.Sprintf(`window.kvsclip.signIn(%q, %q).then(() => window.kvsclip.streams())`, testKeyID, testSecret))
	require.Equal(t, []string{"cam"}, streams)
	assert.False(t, js[bool](t, bctx, formShown), "signed in: no form")
	// The thumbnails' GetImages calls are signed like the others.
	assert.NotContains(t, js[[]string](t, bctx, `window.kvsclip.thumbnails("cam")`), "error")

	js[any](t, bctx, fmt.Sprintf(`window.kvsclip.select("cam", %d, %d), null`, start.Unix(), start.Add(6*time.Second).Unix()))
	url := js[string](t, bctx, `window.kvsclip.play("cam", "mp4", false)`)
	assert.Contains(t, url, "X-Amz-Signature=", "a presigned clip URL")
	res := js[playResult](t, bctx, playToEnd("mp4"))
	t.Logf("signed clip: %+v", res)
	assert.Empty(t, res.Errors)
	assert.True(t, res.Ended, "ended fires")
	assert.Greater(t, res.Duration, 5.0)
	assert.InDelta(t, res.Duration, res.CurrentTime, 0.05, "played to the end")
}

// writeOnePass clips the recording at in to out as a planned fMP4 written
// in one pass into the file (remux.FileWriter), with room to spare.
func writeOnePass(t *testing.T, in, out string) {
	data, err := os.ReadFile(in)
	require.NoError(t, err)
	f, err := os.Create(out)
	require.NoError(t, err)
	defer f.Close()
	w, err := remux.NewFileWriter(f, 64, nil)
	require.NoError(t, err)
	require.NoError(t, w.AddAll(data))
	_, _, err = w.Close(context.Background())
	require.NoError(t, err)
	require.NoError(t, f.Close())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NotNil(t, findBox(b, "free"), "the one-pass layout")
}

// js evaluates a script in the page, waiting for it when it is a promise,
// and decodes its value.
func js[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	require.NoError(t, err, script)
	return v
}

// pngStats counts an image's distinct colors and the share of its pixels
// that differ from the top-left pixel (the timeline's background).
func pngStats(img image.Image) (colors int, nonBG float64) {
	b := img.Bounds()
	seen := map[[4]uint32]bool{}
	r0, g0, b0, a0 := img.At(b.Min.X, b.Min.Y).RGBA()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if r != r0 || g != g0 || bl != b0 || a != a0 {
				n++
			}
		}
	}
	return len(seen), float64(n) / float64(b.Dx()*b.Dy())
}

// clipDuration fetches a clip and returns its duration in seconds from the
// movie header, or from mehd in a fragmented MP4 (whose mvhd says 0).
func clipDuration(t *testing.T, url string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	moov := findBox(data, "moov")
	require.NotNil(t, moov, "moov")
	mvhd := findBox(moov, "mvhd")
	require.NotNil(t, mvhd, "mvhd")
	var scale uint32
	var dur uint64
	if mvhd[0] == 1 {
		scale, dur = binary.BigEndian.Uint32(mvhd[20:]), binary.BigEndian.Uint64(mvhd[24:])
	} else {
		scale, dur = binary.BigEndian.Uint32(mvhd[12:]), uint64(binary.BigEndian.Uint32(mvhd[16:]))
	}
	if mvex := findBox(moov, "mvex"); mvex != nil {
		if mehd := findBox(mvex, "mehd"); mehd != nil {
			if mehd[0] == 1 {
				dur = binary.BigEndian.Uint64(mehd[4:])
			} else {
				dur = uint64(binary.BigEndian.Uint32(mehd[4:]))
			}
		}
	}
	return float64(dur) / float64(scale)
}

// findBox returns the payload of the first box of type typ among the boxes
// in b (32-bit sizes; clips this small need no more).
func findBox(b []byte, typ string) []byte {
	for len(b) >= 8 {
		size := int(binary.BigEndian.Uint32(b))
		if size < 8 || size > len(b) {
			return nil
		}
		if string(b[4:8]) == typ {
			return b[8:size]
		}
		b = b[size:]
	}
	return nil
}

// TestWebRoutes: the page and its assets are served to anyone (they hold
// no stream data), while every other GET still gets the API's
// UnknownOperation answer, as before the page existed.
func TestWebRoutes(t *testing.T) {
	r := newRig(t)
	for path, want := range map[string]string{"/": "text/html", "/web/app.js": "javascript", "/web/style.css": "text/css"} {
		resp, body := get(t, r.url+path, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, resp.Header.Get("Content-Type"), want, path)
		assert.NotEmpty(t, body, path)
	}
	resp, _ := get(t, r.url+"/web/missing.js", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	for _, path := range []string{"/nope", "/web/", "/listStreams"} {
		resp, body := get(t, r.url+path, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		assert.Equal(t, "UnknownOperationException", resp.Header.Get("X-Amzn-ErrorType"), "%s: %s", path, body)
	}
}
