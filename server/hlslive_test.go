package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// Live test pacing: fragments go out faster than real time, so that the
// test is short, but each one on its own, so that each PERSISTED ack and
// each playlist change can be timed.
const (
	liveFragments = 24
	hlsLiveGap    = 150 * time.Millisecond
	livePoll      = 5 * time.Millisecond
	// liveLatencyBound is the bound on the time from a fragment's
	// PERSISTED ack to its first appearance in a live playlist: logged
	// beside the measure, not asserted (a loaded machine is not a slow
	// server; ackToPlaylist asserts that the playlist follows live).
	liveLatencyBound = 250 * time.Millisecond
)

// liveProducer streams fragments one at a time into a PutMedia and records
// when each is acknowledged PERSISTED.
type liveProducer struct {
	pw       *io.PipeWriter
	w        *mkv.Writer
	buf      bytes.Buffer
	mu       sync.Mutex
	acked    map[string]time.Time
	order    []string
	done     chan error
	firstAck chan struct{}
	once     sync.Once
}

func startLiveProducer(t *testing.T, r *rig, stream string, start time.Time) *liveProducer {
	pr, pw := io.Pipe()
	p := &liveProducer{pw: pw, acked: map[string]time.Time{}, done: make(chan error, 1), firstAck: make(chan struct{})}
	p.w = mkv.NewWriter(&p.buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
	go func() {
		p.done <- putclient.PutMedia(context.Background(), nil, putclient.Input{Endpoint: r.url, StreamName: stream, StartTimestamp: start,
			Body: pr, Credentials: &r.creds, Region: testRegion}, func(a putack.Ack) {
			if a.EventType != putack.Persisted {
				return
			}
			p.mu.Lock()
			p.acked[a.FragmentNumber] = time.Now()
			p.order = append(p.order, a.FragmentNumber)
			p.mu.Unlock()
			p.once.Do(func() { close(p.firstAck) })
		})
	}()
	return p
}

func (p *liveProducer) send(t *testing.T, f *mkv.Fragment) {
	require.NoError(t, p.w.WriteFragment(f))
	_, err := p.pw.Write(p.buf.Bytes())
	require.NoError(t, err)
	p.buf.Reset()
}

// waitAcked waits until n fragments are PERSISTED and returns the last
// one's number.
func (p *liveProducer) waitAcked(t *testing.T, n int) string {
	t.Helper()
	var last string
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.order) < n {
			return false
		}
		last = p.order[n-1]
		return true
	}, 20*time.Second, time.Millisecond, "%d fragments PERSISTED", n)
	return last
}

func (p *liveProducer) close(t *testing.T) {
	require.NoError(t, p.w.Close())
	_, _ = p.pw.Write(p.buf.Bytes())
	require.NoError(t, p.pw.Close())
	require.NoError(t, <-p.done)
}

var fragmentParam = regexp.MustCompile(`FragmentNumber=([0-9]+)`)

func TestHLSLive(t *testing.T) {
	r := newRig(t)
	p, media, u, mediaURL := startLiveSession(t, r, r)

	// A player follows the playlist while the producer streams.
	ffctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mediatest.Need(t, "ffmpeg")
	ff := exec.CommandContext(ffctx, "ffmpeg", "-nostdin", "-v", "error", "-i", u, "-t", "2", "-f", "null", "-")
	var ffOut bytes.Buffer
	ff.Stdout, ff.Stderr = &ffOut, &ffOut
	require.NoError(t, ff.Start())

	// The poller keeps every playlist it gets, with when; they are
	// checked on the test's goroutine afterwards.
	type polledPlaylist struct {
		at   time.Time
		body []byte
	}
	var got []polledPlaylist
	poll := pollPlaylist(mediaURL, func(at time.Time, body []byte) { got = append(got, polledPlaylist{at, body}) })
	for _, f := range media.frags[1:liveFragments] {
		time.Sleep(hlsLiveGap) // the producer's live pace: the input
		p.send(t, f)
	}
	poll.waitShown(t, p.waitAcked(t, liveFragments))
	poll.stop()
	p.close(t)

	seen := map[string]time.Time{}
	seqOf := map[string]int64{}
	var lengths []int
	for _, g := range got {
		pl := parseMediaPlaylist(t, g.body)
		assert.False(t, pl.ended, "a LIVE playlist has no ENDLIST")
		assert.LessOrEqual(t, len(pl.uris), 5, "the window holds MaxMediaPlaylistFragmentResults")
		lengths = append(lengths, len(pl.uris))
		assert.Equal(t, parseMediaPlaylist(t, got[0].body).target, pl.target, "§6.2.1: the target duration does not change")
		for i, uri := range pl.uris {
			m := fragmentParam.FindStringSubmatch(uri)
			require.NotNil(t, m, uri)
			n := m[1]
			if _, ok := seen[n]; !ok {
				seen[n] = g.at
			}
			seq := pl.seq + int64(i)
			if old, ok := seqOf[n]; ok {
				assert.Equal(t, old, seq, "fragment %s keeps its media sequence number", n)
			}
			seqOf[n] = seq
		}
	}

	p50, p99, n := ackToPlaylist(t, p, seen)
	t.Logf("PERSISTED ack to live playlist over %d fragments: p50 %v, p99 %v (polling every %v; the issue's bound %v)", n, p50, p99, livePoll, liveLatencyBound)
	assert.Equal(t, 5, slices.Max(lengths), "the window fills and slides")

	err := ff.Wait()
	require.NoError(t, err, "ffmpeg following the live playlist: %s", ffOut.String())
}

// startLiveSession creates stream "cam" on prod, starts a producer
// streaming into it, and, once its first fragment is PERSISTED, a LIVE HLS
// session on view (prod itself, or a server sharing its archive). It
// returns the producer, its media, the session URL and the media
// playlist's.
func startLiveSession(t *testing.T, prod, view *rig) (*liveProducer, *producerMedia, string, string) {
	prod.createStream("cam", 24)
	start := time.Now()
	media := loadProducerMedia(t, "h264-aac-160x120.getmedia.mkv", true, false, start, 30)
	require.GreaterOrEqual(t, len(media.frags), liveFragments)
	p := startLiveProducer(t, prod, "cam", start)
	p.send(t, media.frags[0])
	<-p.firstAck

	u := hlsSession(t, view, &am.GetHLSStreamingSessionURLInput{
		StreamName:                      aws.String("cam"),
		PlaybackMode:                    amtypes.HLSPlaybackModeLive,
		MaxMediaPlaylistFragmentResults: aws.Int64(5),
	})
	_, master := fetchURL(t, u)
	mediaURL := resolve(u, string(bytes.TrimSpace(master[bytes.LastIndexByte(bytes.TrimSpace(master), '\n')+1:])))
	return p, media, u, mediaURL
}

// ackToPlaylist measures, for every fragment PERSISTED after the first
// (acknowledged before the session began), the time from its ack to seen,
// its first sight in a playlist: the median, the 99th percentile and how
// many were measured. It asserts that every one shows, and that the
// playlist follows the producer live: most show before the producer's
// last ack, where a playlist that lagged or caught up at the end would
// show few.
func ackToPlaylist(t *testing.T, p *liveProducer, seen map[string]time.Time) (p50, p99 time.Duration, n int) {
	var lat []time.Duration
	early := 0
	p.mu.Lock()
	last := p.acked[p.order[len(p.order)-1]]
	for _, n := range p.order[1:] {
		if s, ok := seen[n]; assert.True(t, ok, "fragment %s shows in the live playlist", n) {
			lat = append(lat, max(s.Sub(p.acked[n]), 0))
			if s.Before(last) {
				early++
			}
		}
	}
	p.mu.Unlock()
	require.NotEmpty(t, lat)
	assert.Greater(t, early, len(lat)/2, "fragments shown while the producer was still putting")
	slices.Sort(lat)
	return lat[len(lat)/2], lat[(len(lat)*99+99)/100-1], len(lat)
}

// poller fetches a playlist every livePoll (a player's pace) and keeps
// the first sight of each fragment number in it.
type poller struct {
	quit, done chan struct{}
	mu         sync.Mutex
	seen       map[string]time.Time
}

// pollPlaylist polls url, handing each answer to got, with when it came,
// on the poller's goroutine, until stop; stop returns once the last got
// has.
func pollPlaylist(url string, got func(at time.Time, body []byte)) *poller {
	p := &poller{quit: make(chan struct{}), done: make(chan struct{}), seen: map[string]time.Time{}}
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.quit:
				return
			default:
			}
			resp, err := http.Get(url)
			if err != nil {
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			at := time.Now()
			p.mu.Lock()
			for _, m := range fragmentParam.FindAllSubmatch(body, -1) {
				if _, ok := p.seen[string(m[1])]; !ok {
					p.seen[string(m[1])] = at
				}
			}
			p.mu.Unlock()
			if got != nil {
				got(at, body)
			}
			time.Sleep(livePoll) // the player's pace
		}
	}()
	return p
}

// waitShown waits until the fragment numbered n has shown in a playlist.
func (p *poller) waitShown(t *testing.T, n string) {
	t.Helper()
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		_, ok := p.seen[n]
		return ok
	}, 20*time.Second, livePoll, "fragment %s never showed in the live playlist", n)
}

// stop ends the polling and returns the first sightings.
func (p *poller) stop() map[string]time.Time {
	close(p.quit)
	<-p.done
	return p.seen
}
