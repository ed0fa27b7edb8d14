package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/citest"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// TestCORSBrowser: in Debian's Chromium, a web app's page on another
// origin (another port) calls the API with fetch() and plays an HLS
// session with hls.js when the server lets its origin read; when it does
// not, Chromium blocks both. With credentials any origin plays a session
// URL, and reads a refused call's error type.
func TestCORSBrowser(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		citest.Require(t, "chromium", "make deps installs it")
	}
	hlsJS := filepath.Join(server.DefaultPlayerDir(), "hls.min.js")
	if _, err := os.Stat(hlsJS); err != nil {
		citest.Require(t, hlsJS, "make deps fetches it: "+err.Error())
	}
	for _, c := range []struct {
		name        string
		signed      bool
		nameOrigin  bool // the page's origin is in AllowOrigins
		call, plays bool
	}{
		{name: "local, the app's origin named", nameOrigin: true, call: true, plays: true},
		{name: "local, no origin named"},
		{name: "credentials, any origin", signed: true, plays: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := httptest.NewServer(appPage(hlsJS))
			t.Cleanup(app.Close)
			var origins []string
			if c.nameOrigin {
				origins = []string{app.URL}
			}
			cs := newCORSServer(t, c.signed, origins...)
			stream := cs.recordReal(t)
			ctx := startBrowser(t, bin, 90*time.Second)
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(app.URL+"/")))

			// The API call, as a web app without an SDK makes it: JSON,
			// so the browser sends a preflight first.
			call := evalJS[map[string]any](t, ctx, fmt.Sprintf(`(async () => {
				try {
					const r = await fetch(%q + '/getHLSStreamingSessionURL', {method: 'POST',
						headers: {'content-type': 'application/json', 'x-amz-user-agent': 'aws-sdk-js/3'},
						body: JSON.stringify({StreamName: %q, PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: {
							FragmentSelectorType: 'PRODUCER_TIMESTAMP',
							TimestampRange: {StartTimestamp: Date.now()/1000 - 3600, EndTimestamp: Date.now()/1000 + 60}}})});
					return {status: r.status, type: r.headers.get('X-Amzn-ErrorType') || '', id: r.headers.get('x-amzn-RequestId') || '',
						url: (await r.json()).HLSStreamingSessionURL || ''};
				} catch (e) { return {blocked: String(e)}; }
			})()`, cs.url, stream))
			switch {
			case c.call:
				assert.EqualValues(t, 200, call["status"], "%v", call)
				assert.NotEmpty(t, call["id"], "x-amzn-RequestId is exposed")
			case c.signed:
				// Unsigned: refused, and the page can read why.
				assert.EqualValues(t, 401, call["status"], "%v", call)
				assert.Contains(t, call["type"], "NotAuthorized")
			default:
				assert.Contains(t, call["blocked"], "TypeError", "Chromium blocks the call: %v", call)
			}

			// The session, played by hls.js from the app's origin.
			url, _ := call["url"].(string)
			if url == "" {
				url = cs.sessionURL(t, stream)
			}
			play := evalJS[map[string]any](t, ctx, fmt.Sprintf(`new Promise(done => {
				const v = document.getElementById('v'), hls = new Hls();
				hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) done({error: d.details, time: v.currentTime}); });
				hls.loadSource(%q);
				hls.attachMedia(v);
				v.play().catch(() => {});
				const t0 = Date.now();
				(function tick() {
					if (v.currentTime >= 2 || v.ended) return done({time: v.currentTime});
					if (Date.now() - t0 > 20000) return done({error: 'timeout', time: v.currentTime});
					setTimeout(tick, 100);
				})();
			})`, url))
			t.Logf("call %v, play %v", call, play)
			if c.plays {
				assert.Nil(t, play["error"], "%v", play)
				assert.GreaterOrEqual(t, play["time"], 2.0, "%v", play)
			} else {
				assert.NotNil(t, play["error"], "Chromium blocks the session: %v", play)
				assert.EqualValues(t, 0, play["time"])
			}
		})
	}
}

// appPage is a web app on its own origin: a page with a video element and
// hls.js, served from the player directory as the app would bundle it.
func appPage(hlsJS string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>app</title><video id="v" muted playsinline></video><script src="/hls.min.js"></script>`)
	})
	mux.HandleFunc("GET /hls.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, hlsJS)
	})
	return mux
}

// evalJS evaluates a script in the page, waiting for its promise.
func evalJS[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	require.NoError(t, err, script)
	return v
}

// recordReal makes a stream holding the committed H.264+AAC recording
// (about 4 s, pictures a browser decodes), sent as a producer sends it,
// and returns its name.
func (cs *corsServer) recordReal(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	require.NoError(t, err)
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer})
	rd := mkv.NewBytesReader(raw)
	first := int64(-1)
	for {
		f, err := rd.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if first < 0 {
			first = f.Timecode
		}
		// Timecodes from the recording's start, as a producer's RELATIVE
		// session has them; one fragment a Cluster, each tagged at its end.
		g := &mkv.Fragment{Header: f.Header, Timecode: f.Timecode - first, Tags: mkv.Tags{EndOfFragment: true}}
		for _, b := range f.Blocks {
			b.Time -= first
			g.Blocks = append(g.Blocks, b)
		}
		require.NoError(t, w.WriteFragment(g))
	}
	require.NoError(t, w.Close())
	kv, _, _ := cs.clients("")
	const name = "cam"
	_, err = kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{StreamName: aws.String(name), DataRetentionInHours: aws.Int32(1), MediaType: aws.String("video/h264")})
	require.NoError(t, err)
	require.NoError(t, putclient.PutMedia(context.Background(), nil, putclient.Input{
		Endpoint: cs.url, StreamName: name, TimecodeType: "RELATIVE", StartTimestamp: time.Now().Add(-time.Minute),
		Body: &buf, Credentials: cs.creds, Region: corsRegion,
	}, nil))
	return name
}

// sessionURL asks for an ON_DEMAND HLS session of the last hour with the
// Go SDK, as a web app's back end would.
func (cs *corsServer) sessionURL(t *testing.T, stream string) string {
	t.Helper()
	_, media, _ := cs.clients("")
	out, err := media.GetHLSStreamingSessionURL(context.Background(), &am.GetHLSStreamingSessionURLInput{
		StreamName: aws.String(stream), PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now().Add(time.Minute))}}})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(*out.HLSStreamingSessionURL, cs.url))
	return *out.HLSStreamingSessionURL
}
