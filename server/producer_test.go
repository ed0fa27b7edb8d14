package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/sigv4"
)

// This file is a test producer that behaves on the wire as the KVS
// producer SDK for C does (its PIC layer, under the C++ SDK and kvssink),
// from the facts of that SDK's behaviour, not its code:
//
//   - PutMedia is one HTTP/1.1 request on its own connection, with
//     Transfer-Encoding: chunked and Expect: 100-continue; the body waits
//     for the 100 Continue, or a second without it (as curl does);
//   - the Host header has no port, even on a non-default one;
//   - SigV4 covers connection, host, transfer-encoding, user-agent,
//     x-amz-date and the four x-amzn- headers, over the SHA-256 of the
//     empty string, and no X-Amz-Content-Sha256 header is sent;
//   - frames go out as they are produced; each fragment is closed by a
//     Tags element holding AWS_KINESISVIDEO_END_OF_FRAGMENT, sent before
//     the next key frame, when frames pause, and at stop;
//   - at stop the body stays open until the last fragment is PERSISTED;
//   - after an ERROR ack or a broken connection, a new session resends
//     every fragment not yet PERSISTED.

// producerSignedHeaders are the headers the SDK signs, in canonical order.
var producerSignedHeaders = []string{"connection", "host", "transfer-encoding", "user-agent", "x-amz-date",
	"x-amzn-fragment-acknowledgment-required", "x-amzn-fragment-timecode-type",
	"x-amzn-producer-start-timestamp", "x-amzn-stream-name"}

// producerMedia is what a test producer sends: fragments in producer
// layout, each closed by an end-of-fragment tag.
type producerMedia struct {
	header *mkv.Header
	frags  []*mkv.Fragment
	// absolute: Cluster timecodes are epoch milliseconds; otherwise they
	// count from start.
	absolute bool
	start    time.Time
}

// loadProducerMedia turns a committed GetMedia recording into what a
// producer sends for at least seconds of media: its fragments without
// KVS's tags, looped with shifted times, with only the video track unless
// audio is kept.
func loadProducerMedia(t testing.TB, file string, audio, absolute bool, start time.Time, seconds float64) *producerMedia {
	t.Helper()
	src := committedFragments(t, file)
	for _, f := range src {
		require.Equal(t, uint64(1_000_000), f.Header.TimecodeScale)
	}
	require.GreaterOrEqual(t, len(src), 2)
	h := *src[0].Header
	keep := map[uint64]bool{}
	h.Tracks = nil
	for _, tr := range src[0].Header.Tracks {
		if tr.Type == mkv.TrackTypeVideo || audio {
			h.Tracks = append(h.Tracks, tr)
			keep[tr.Number] = true
		}
	}
	startOf := func(f *mkv.Fragment) int64 { ms, _ := f.StartMillis(); return ms }
	first, last := startOf(src[0]), startOf(src[len(src)-1])
	loop := (last - first) + (last-first)/int64(len(src)-1)
	m := &producerMedia{header: &h, absolute: absolute, start: start}
	for l := int64(0); len(m.frags) == 0 || float64(m.lengthMillis()) < seconds*1000; l++ {
		for _, f := range src {
			rel := startOf(f) - first + l*loop
			tc := rel
			if absolute {
				tc += start.UnixMilli()
			}
			g := &mkv.Fragment{Header: &h, Timecode: tc, Tags: mkv.Tags{EndOfFragment: true}}
			for _, b := range f.Blocks {
				if keep[b.Track] {
					b.Time = tc + b.Time - f.Timecode
					g.Blocks = append(g.Blocks, b)
				}
			}
			m.frags = append(m.frags, g)
		}
	}
	return m
}

// lengthMillis is the span from the first fragment to the last one's start.
func (m *producerMedia) lengthMillis() int64 {
	return m.frags[len(m.frags)-1].Timecode - m.frags[0].Timecode
}

// piece is bytes of the body and when, in media time from the session's
// first fragment, the producer has them.
type piece struct {
	at   int64 // ms
	data []byte
	frag int // index in producerMedia.frags
	// endTag marks the piece that ends fragment frag.
	endTag bool
}

// session encodes the stream of a session that starts at fragment from,
// and splits it into what the producer sends frame by frame: each frame
// when it is produced, each end-of-fragment tag when the next key frame
// is (or, for the last fragment, one frame later).
func (m *producerMedia) session(t testing.TB, from int) []piece {
	t.Helper()
	var buf strings.Builder
	w := mkv.NewWriter(&buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
	for _, f := range m.frags[from:] {
		require.NoError(t, w.WriteFragment(f))
	}
	require.NoError(t, w.Close())
	stream := []byte(buf.String())
	rd := mkv.NewBytesReader(stream)
	origin := m.frags[from].Timecode
	var out []piece
	pos, last := int64(0), int64(0)
	for k := from; ; k++ {
		f, err := rd.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		for _, b := range f.Blocks {
			end := b.Offset + int64(len(b.Data))
			last = max(last, b.Time-origin)
			out = append(out, piece{at: last, data: stream[pos:end], frag: k})
			pos = end
		}
		end := f.Offset + f.Size
		at := last + 40
		if k+1 < len(m.frags) {
			at = max(last, m.frags[k+1].Timecode-origin)
		}
		out = append(out, piece{at: at, data: stream[pos:end], frag: k, endTag: true})
		pos = end
	}
	require.Equal(t, int64(len(stream)), pos)
	return out
}

// sdkProducer streams producerMedia to a server as the SDK does.
type sdkProducer struct {
	t        testing.TB
	addr     string // host:port of the server
	stream   string
	creds    *aws.Credentials
	region   string
	media    *producerMedia
	speed    float64 // media seconds per wall second
	pauseAt  int     // fragment after which frames pause; -1 for none
	pause    time.Duration
	maxTries int
}

// producerReport is what a producer saw.
type producerReport struct {
	sessions  int
	sent      int // fragments whose end tag was sent, counting resends
	persisted map[int64]int
	errors    []putack.Ack
	got100    []bool
	// bodyDelay is, per session, from the request's headers to the first
	// body byte.
	bodyDelay []time.Duration
	// slowest is the longest wait from a fragment's end tag to its
	// PERSISTED; pausePersisted tells whether the fragment before the
	// pause was PERSISTED before frames resumed.
	slowest        time.Duration
	pausePersisted bool
	lastPersisted  bool
}

// run streams every fragment, reconnecting after errors, and reports.
func (p *sdkProducer) run(ctx context.Context) *producerReport {
	rep := &producerReport{persisted: map[int64]int{}}
	from := 0
	for try := 0; from < len(p.media.frags) && try < p.maxTries; try++ {
		next := p.session(ctx, from, rep)
		if next == from && len(rep.errors) == 0 {
			break // no progress and no error: give up, the test reports it
		}
		from = next
	}
	return rep
}

// signedRequest returns the request head of a PutMedia as the SDK sends it.
func (p *sdkProducer) signedRequest(now time.Time) string {
	host, _, _ := net.SplitHostPort(p.addr)
	start := p.media.start.UnixMilli()
	tcType := "RELATIVE"
	if p.media.absolute {
		tcType = "ABSOLUTE"
	}
	hdr := map[string]string{
		"connection":        "keep-alive",
		"host":              host, // no port, as the SDK sends it
		"transfer-encoding": "chunked",
		"user-agent":        "kvsclip-test-producer/1.0",
		"x-amz-date":        now.UTC().Format("20060102T150405Z"),
		"x-amzn-fragment-acknowledgment-required": "1",
		"x-amzn-fragment-timecode-type":           tcType,
		// Seconds with the milliseconds unpadded, as the SDK prints them.
		"x-amzn-producer-start-timestamp": fmt.Sprintf("%d.%d", start/1000, start%1000),
		"x-amzn-stream-name":              p.stream,
	}
	var b strings.Builder
	b.WriteString("POST /putMedia HTTP/1.1\r\n")
	for _, k := range producerSignedHeaders {
		fmt.Fprintf(&b, "%s: %s\r\n", k, hdr[k])
	}
	b.WriteString("accept: */*\r\nexpect: 100-continue\r\n")
	if p.creds != nil {
		fmt.Fprintf(&b, "authorization: %s\r\n", sdkAuthorization(*p.creds, p.region, hdr))
	}
	b.WriteString("\r\n")
	return b.String()
}

// sdkAuthorization signs a PutMedia head the way the producer SDK does:
// SigV4 over producerSignedHeaders and the empty payload's hash.
func sdkAuthorization(c aws.Credentials, region string, hdr map[string]string) string {
	var canon strings.Builder
	canon.WriteString("POST\n/putMedia\n\n")
	for _, k := range producerSignedHeaders {
		canon.WriteString(k + ":" + hdr[k] + "\n")
	}
	empty := sha256.Sum256(nil)
	canon.WriteString("\n" + strings.Join(producerSignedHeaders, ";") + "\n" + hex.EncodeToString(empty[:]))
	signer := sigv4.Signer{Credentials: sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}, Region: region}
	auth, _ := signer.Authorization(hdr["x-amz-date"], producerSignedHeaders, canon.String())
	return auth
}

// session runs one PutMedia connection from fragment from and returns the
// first fragment a next session must send.
func (p *sdkProducer) session(ctx context.Context, from int, rep *producerReport) (next int) {
	t := p.t
	rep.sessions++
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", p.addr)
	require.NoError(t, err)
	defer conn.Close()
	pieces := p.media.session(t, from)

	var mu sync.Mutex
	endSent := map[int]time.Time{} // fragment → when its end tag went out
	persisted := map[int]bool{}
	continued := make(chan bool, 1) // the 100 Continue, or the final answer first
	done := make(chan struct{})     // the response ended
	failed := make(chan struct{})   // an ERROR ack came
	lastPersisted := make(chan struct{})
	fragOf := map[int64]int{}
	for k := from; k < len(p.media.frags); k++ {
		fragOf[p.media.frags[k].Timecode] = k
	}
	go func() {
		defer close(done)
		br := bufio.NewReader(conn)
		req := &http.Request{Method: http.MethodPost}
		resp, err := http.ReadResponse(br, req)
		if err == nil && resp.StatusCode == http.StatusContinue {
			continued <- true
			resp, err = http.ReadResponse(br, req)
		} else {
			continued <- false
		}
		if err != nil || resp.StatusCode != http.StatusOK {
			if err == nil {
				raw, _ := io.ReadAll(resp.Body)
				t.Errorf("PutMedia answered %d: %s", resp.StatusCode, raw)
			}
			return
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var a putack.Ack
			if json.Unmarshal(sc.Bytes(), &a) != nil {
				continue
			}
			mu.Lock()
			switch a.EventType {
			case putack.Persisted:
				k := fragOf[*a.FragmentTimecode]
				persisted[k] = true
				rep.persisted[p.media.frags[k].Timecode]++
				if sent, ok := endSent[k]; ok {
					rep.slowest = max(rep.slowest, time.Since(sent))
				}
				if k == len(p.media.frags)-1 {
					close(lastPersisted)
				}
			case putack.Error:
				rep.errors = append(rep.errors, a)
				select {
				case <-failed:
				default:
					close(failed)
				}
			}
			mu.Unlock()
		}
	}()

	head := time.Now()
	_, err = io.WriteString(conn, p.signedRequest(head))
	require.NoError(t, err)
	got100 := false
	select {
	case got100 = <-continued:
	case <-time.After(time.Second): // curl's wait for a 100 Continue
	}
	rep.got100 = append(rep.got100, got100)
	rep.bodyDelay = append(rep.bodyDelay, time.Since(head))

	cw := httputil.NewChunkedWriter(conn)
	wallStart := time.Now()
	var shift time.Duration // pauses so far
	broken := false
	for _, pc := range pieces {
		due := wallStart.Add(time.Duration(float64(pc.at)/p.speed)*time.Millisecond + shift)
		select {
		case <-time.After(time.Until(due)):
		case <-failed:
		case <-done:
		}
		if isClosed(failed) || isClosed(done) {
			broken = true
			break
		}
		if _, err := cw.Write(pc.data); err != nil {
			broken = true
			break
		}
		if pc.endTag {
			mu.Lock()
			endSent[pc.frag] = time.Now()
			mu.Unlock()
			rep.sent++
			if pc.frag == p.pauseAt {
				// The intermittent-producer case: the end tag went out,
				// and frames resume only after the pause.
				time.Sleep(p.pause)
				shift += p.pause
				mu.Lock()
				rep.pausePersisted = persisted[pc.frag]
				mu.Unlock()
			}
		}
	}
	if !broken {
		// At stop the body stays open until the last fragment is PERSISTED.
		select {
		case <-lastPersisted:
			rep.lastPersisted = true
		case <-failed:
		case <-done:
		case <-time.After(10 * time.Second):
		}
		cw.Close()
		io.WriteString(conn, "\r\n")
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Errorf("the response did not end")
	}
	mu.Lock()
	defer mu.Unlock()
	next = from
	for next < len(p.media.frags) && persisted[next] {
		next++
	}
	return next
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// producerCase is one of the SDK's sample configurations.
type producerCase struct {
	name     string
	file     string
	audio    bool
	absolute bool
}

// producerCases are the codec combinations the SDK's samples stream: the
// video-only samples with ABSOLUTE timecodes, audio+video with RELATIVE.
var producerCases = []producerCase{
	{"h264", "h264-aac-160x120.getmedia.mkv", false, true},
	{"h265", "hevc-main10-174x142-aac16k-stereo.getmedia.mkv", false, true},
	{"h264+aac", "h264-aac-160x120.getmedia.mkv", true, false},
	{"h264+alaw", "h264-174x142-alaw.getmedia.mkv", true, false},
}

// producerSeconds is how much media each session of TestSDKProducer
// streams, and producerSpeed how fast: a short run in the suite;
// KVSCLIP_PRODUCER_SECONDS=20 KVSCLIP_PRODUCER_SPEED=1 gives the closing
// note's real-time figures.
func producerPace(t *testing.T) (seconds, speed float64) {
	seconds, speed = 4, 4
	if v, err := strconv.ParseFloat(os.Getenv("KVSCLIP_PRODUCER_SECONDS"), 64); err == nil {
		seconds = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("KVSCLIP_PRODUCER_SPEED"), 64); err == nil {
		speed = v
	}
	return seconds, speed
}

// TestSDKProducer streams each codec combination as the producer SDK does,
// with credentials on and off, with a pause mid-stream: every fragment is
// stored once, none is refused, the body starts on a 100 Continue, the
// fragment before the pause is PERSISTED while frames pause, and the last
// one before the producer closes.
func TestSDKProducer(t *testing.T) {
	seconds, speed := producerPace(t)
	for _, tc := range producerCases {
		for _, signed := range []bool{true, false} {
			name := tc.name + "/unsigned"
			if signed {
				name = tc.name + "/signed"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				r := newRig(t, func(c *server.Config) {
					if !signed {
						c.Credentials = nil
					}
				})
				r.createStream("cam", 24)
				start := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
				media := loadProducerMedia(t, tc.file, tc.audio, tc.absolute, start, seconds)
				p := &sdkProducer{t: t, addr: hostPort(t, r.url), stream: "cam", region: testRegion,
					media: media, speed: speed, pauseAt: 1, pause: 1500 * time.Millisecond, maxTries: 1}
				if signed {
					p.creds = &r.creds
				}
				rep := p.run(context.Background())
				checkProducerRun(t, r.store, media, rep)
				assert.True(t, rep.pausePersisted, "the fragment before the pause is PERSISTED while frames pause")
				assert.Equal(t, 1, rep.sessions)
				t.Logf("%s: %d fragments sent, %d PERSISTED, slowest PERSISTED %v after its end tag, body began %v after the headers",
					name, rep.sent, len(rep.persisted), rep.slowest.Round(time.Millisecond), rep.bodyDelay[0].Round(time.Millisecond))
			})
		}
	}
}

// TestSDKProducerReconnects: when the server ends a session with an ERROR
// ack (here its maximum session length), the producer opens another and
// resends what was not PERSISTED; every fragment ends up stored once.
func TestSDKProducerReconnects(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.Ingest.MaxPutMediaDuration = 1200 * time.Millisecond })
	r.createStream("cam", 24)
	start := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	tc := producerCases[2]
	media := loadProducerMedia(t, tc.file, tc.audio, tc.absolute, start, 8)
	p := &sdkProducer{t: t, addr: hostPort(t, r.url), stream: "cam", region: testRegion, creds: &r.creds,
		media: media, speed: 2, pauseAt: -1, maxTries: 20}
	rep := p.run(context.Background())
	require.Greater(t, rep.sessions, 1, "the session limit ended the first session")
	for _, a := range rep.errors {
		assert.Equal(t, putack.SessionTooLong.Code, a.ErrorCode)
	}
	rep.errors = nil
	checkProducerRun(t, r.store, media, rep)
}

// checkProducerRun checks that every fragment was PERSISTED once and is
// stored once, at its producer time, with every frame.
func checkProducerRun(t *testing.T, store archive.Store, media *producerMedia, rep *producerReport) {
	t.Helper()
	assert.Empty(t, rep.errors, "ERROR acks")
	for i, ok := range rep.got100 {
		assert.True(t, ok, "session %d: the body waited for a 100 Continue that never came", i)
	}
	assert.True(t, rep.lastPersisted, "the last fragment is PERSISTED while the producer holds the body open")
	var want []int64
	for _, f := range media.frags {
		ms := f.Timecode
		if !media.absolute {
			ms += media.start.UnixMilli()
		}
		want = append(want, ms)
		assert.Equal(t, 1, rep.persisted[f.Timecode], "fragment at %d PERSISTED once", f.Timecode)
	}
	listed, err := store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	var got []int64
	for i, f := range listed {
		got = append(got, f.ProducerMillis)
		doc, err := store.Read(bg, "cam", f.Number)
		require.NoError(t, err)
		sf, err := mkv.NewBytesReader(doc).Next()
		require.NoError(t, err)
		if k := slices.Index(want, f.ProducerMillis); k >= 0 {
			assert.Len(t, sf.Blocks, len(media.frags[k].Blocks), "fragment %d", i)
		}
	}
	assert.Equal(t, want, got, "stored fragments, by producer time")
}

// hostPort is the host:port of a URL.
func hostPort(t testing.TB, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Host
}

// TestDataEndpointPortlessHost: a producer's Host has no port, and the
// data endpoint it is handed must still reach this server.
func TestDataEndpointPortlessHost(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	req, err := http.NewRequest(http.MethodPost, r.url+"/getDataEndpoint", strings.NewReader(`{"StreamName":"cam","APIName":"PUT_MEDIA"}`))
	require.NoError(t, err)
	req.Host = "127.0.0.1"
	_, port, _ := net.SplitHostPort(hostPort(t, r.url))
	signJSON(t, req, r.creds, []byte(`{"StreamName":"cam","APIName":"PUT_MEDIA"}`))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct{ DataEndpoint string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	assert.Equal(t, "http://127.0.0.1:"+port, out.DataEndpoint)

	// A client that names the port gets it back; so does the SDK.
	ep, err := r.kv.GetDataEndpoint(bg, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("cam"), APIName: "PUT_MEDIA"})
	require.NoError(t, err)
	assert.Equal(t, r.url, *ep.DataEndpoint)
}

// signJSON signs a JSON request with the SDK's signer.
func signJSON(t testing.TB, req *http.Request, c aws.Credentials, body []byte) {
	t.Helper()
	sum := sha256.Sum256(body)
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), c, req, hex.EncodeToString(sum[:]), sigv4.Service, testRegion, time.Now()))
}
