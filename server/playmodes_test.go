package server_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// pmServer is a server for the playback-mode tests, with the stock SDK
// clients, and a clock that runs with the real one but can be moved on.
type pmServer struct {
	url   string
	creds aws.Credentials
	kv    *kinesisvideo.Client
	media *am.Client
	ahead atomic.Int64 // ns the server's clock is ahead of the real one
}

const pmRegion = "us-west-2"

func newPMServer(t *testing.T) *pmServer {
	t.Helper()
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	s := &pmServer{creds: aws.Credentials{AccessKeyID: "AKIDPLAYMODES", SecretAccessKey: "playmodes-secret"}}
	srv, err := server.New(server.Config{Store: store, Region: pmRegion,
		Credentials: &server.Credentials{AccessKeyID: s.creds.AccessKeyID, SecretAccessKey: s.creds.SecretAccessKey},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:         func() time.Time { return time.Now().Add(time.Duration(s.ahead.Load())) }})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	s.url = hs.URL
	prov := credentials.NewStaticCredentialsProvider(s.creds.AccessKeyID, s.creds.SecretAccessKey, "")
	s.kv = kinesisvideo.New(kinesisvideo.Options{Region: pmRegion, BaseEndpoint: aws.String(hs.URL), Credentials: prov, RetryMaxAttempts: 1})
	s.media = am.New(am.Options{Region: pmRegion, BaseEndpoint: aws.String(hs.URL), Credentials: prov, RetryMaxAttempts: 1})
	_, err = s.kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), DataRetentionInHours: aws.Int32(24)})
	require.NoError(t, err)
	return s
}

// pmFragments loops the 1 s fragments of a test recording (H.264 and AAC)
// into n fragments with timecodes from 0, for a RELATIVE PutMedia, and
// counts the frames of each track.
func pmFragments(t *testing.T, n int) ([]*mkv.Fragment, map[uint64]int) {
	t.Helper()
	src := committedFragments(t, "h264-aac-160x120.getmedia.mkv")
	first := src[0].Timecode
	period := src[len(src)-1].Timecode - first + (src[len(src)-1].Timecode-first)/int64(len(src)-1)
	var out []*mkv.Fragment
	frames := map[uint64]int{}
	for i := 0; len(out) < n; i++ {
		f := src[i%len(src)]
		tc := f.Timecode - first + int64(i/len(src))*period
		g := &mkv.Fragment{Header: src[0].Header, Timecode: tc, Tags: mkv.Tags{EndOfFragment: true}}
		for _, b := range f.Blocks {
			b.Time = tc + b.Time - f.Timecode
			g.Blocks = append(g.Blocks, b)
			frames[b.Track]++
		}
		out = append(out, g)
	}
	return out, frames
}

// put streams frags to stream "cam" as one PutMedia from start, each
// fragment written after wait(i) returns (nil: at once), and returns the
// fragment numbers PERSISTED, in order; persisted, if set, hears each.
func (s *pmServer) put(t *testing.T, start time.Time, frags []*mkv.Fragment, wait func(i int), persisted func(number string)) []string {
	t.Helper()
	pr, pw := io.Pipe()
	var numbers []string
	done := make(chan error, 1)
	go func() {
		done <- putclient.PutMedia(context.Background(), nil, putclient.Input{Endpoint: s.url, StreamName: "cam", TimecodeType: "RELATIVE",
			StartTimestamp: start, Body: pr, Credentials: &s.creds, Region: pmRegion}, func(a putack.Ack) {
			if a.EventType == putack.Persisted {
				numbers = append(numbers, a.FragmentNumber)
				if persisted != nil {
					persisted(a.FragmentNumber)
				}
			}
		})
	}()
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
	for i, f := range frags {
		if wait != nil {
			wait(i)
		}
		require.NoError(t, w.WriteFragment(f))
		_, err := pw.Write(buf.Bytes())
		require.NoError(t, err)
		buf.Reset()
	}
	require.NoError(t, w.Close())
	_, _ = pw.Write(buf.Bytes())
	require.NoError(t, pw.Close())
	require.NoError(t, <-done)
	require.Len(t, numbers, len(frags))
	return numbers
}

// pmGet fetches u and returns its body, requiring a 200.
func pmGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", u, body)
	return body
}

// pmResolve makes a URI of a session resource absolute against the
// session URL u (they are siblings).
func pmResolve(u, ref string) string {
	return u[:strings.LastIndex(u[:strings.Index(u, "?")], "/")+1] + ref
}

var pmFragmentNumber = regexp.MustCompile(`FragmentNumber=([0-9]+)`)

// pmMediaSegments reads an HLS session's video media playlist: its
// segments' fragment numbers, and their URIs made absolute.
func pmMediaSegments(t *testing.T, u string) (numbers, uris []string) {
	t.Helper()
	var media string
	for _, line := range strings.Split(string(pmGet(t, u)), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			media = line // the variant: the video's playlist
		}
	}
	for _, line := range strings.Split(string(pmGet(t, pmResolve(u, media))), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			numbers = append(numbers, pmFragmentNumber.FindStringSubmatch(line)[1])
			uris = append(uris, pmResolve(u, line))
		}
	}
	return numbers, uris
}

// pmMPD is what the tests read of a DASH manifest.
type pmMPD struct {
	Type      string `xml:"type,attr"`
	AST       string `xml:"availabilityStartTime,attr"`
	Publish   string `xml:"publishTime,attr"`
	MinUpdate string `xml:"minimumUpdatePeriod,attr"`
	TSBD      string `xml:"timeShiftBufferDepth,attr"`
	Delay     string `xml:"suggestedPresentationDelay,attr"`
	Periods   []struct {
		Sets []struct {
			Rep struct {
				List struct {
					Offset int64  `xml:"presentationTimeOffset,attr"`
					Start  int64  `xml:"startNumber,attr"`
					Init   string `xml:"initialization,attr"`
					Media  string `xml:"media,attr"`
					S      []struct {
						T int64 `xml:"t,attr"`
						D int64 `xml:"d,attr"`
					} `xml:"SegmentTimeline>S"`
				} `xml:"SegmentTemplate"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
	UTCTiming []struct {
		Scheme string `xml:"schemeIdUri,attr"`
		Value  string `xml:"value,attr"`
	} `xml:"UTCTiming"`
}

func pmReadMPD(t *testing.T, u string) *pmMPD {
	t.Helper()
	body := pmGet(t, u)
	var m pmMPD
	require.NoError(t, xml.Unmarshal(body, &m), string(body))
	require.NotEmpty(t, m.Periods, string(body))
	require.NotEmpty(t, m.Periods[0].Sets, string(body))
	return &m
}

// TestLiveReplayFromAnyTime: a LIVE_REPLAY session starts at the first
// fragment that starts at or after StartTimestamp, wherever that lies —
// before the stream, inside a fragment, or in a gap between recordings —
// over HLS and DASH, and grows by a fragment as each fragment's duration
// passes.
func TestLiveReplayFromAnyTime(t *testing.T) {
	s := newPMServer(t)
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	frags, _ := pmFragments(t, 4)
	a := s.put(t, t0, frags, nil, nil)
	b := s.put(t, t0.Add(time.Minute), frags, nil, nil)
	// The producer timestamps of the fragments, as the archive lists them.
	list, err := s.media.ListFragments(context.Background(), &am.ListFragmentsInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	startOf := map[string]time.Time{}
	for _, f := range list.Fragments {
		startOf[*f.FragmentNumber] = *f.ProducerTimestamp
	}
	cases := []struct {
		name  string
		start time.Time
		first string // the session's first fragment
		next  string
	}{
		{"30 s before the stream", t0.Add(-30 * time.Second), a[0], a[1]},
		{"at the first fragment", t0, a[0], a[1]},
		{"inside the second fragment", startOf[a[1]].Add(300 * time.Millisecond), a[2], a[3]},
		{"between two recordings", t0.Add(30 * time.Second), b[0], b[1]},
	}
	for _, c := range cases {
		t.Run(c.name+"/HLS", func(t *testing.T) {
			out, err := s.media.GetHLSStreamingSessionURL(context.Background(), &am.GetHLSStreamingSessionURLInput{
				StreamName: aws.String("cam"), PlaybackMode: amtypes.HLSPlaybackModeLiveReplay,
				HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
					TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(c.start)}},
			})
			require.NoError(t, err)
			u := *out.HLSStreamingSessionURL
			numbers, uris := pmMediaSegments(t, u)
			assert.Equal(t, []string{c.first}, numbers, "at the session's start, its first fragment")
			assert.NotEmpty(t, pmGet(t, uris[0]))
			s.ahead.Add(int64(1100 * time.Millisecond)) // past the first fragment's duration
			numbers, _ = pmMediaSegments(t, u)
			assert.Equal(t, []string{c.first, c.next}, numbers, "a fragment's duration later, the next")
		})
		t.Run(c.name+"/DASH", func(t *testing.T) {
			out, err := s.media.GetDASHStreamingSessionURL(context.Background(), &am.GetDASHStreamingSessionURLInput{
				StreamName: aws.String("cam"), PlaybackMode: amtypes.DASHPlaybackModeLiveReplay,
				DASHFragmentSelector: &amtypes.DASHFragmentSelector{FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
					TimestampRange: &amtypes.DASHTimestampRange{StartTimestamp: aws.Time(c.start)}},
			})
			require.NoError(t, err)
			u := *out.DASHStreamingSessionURL
			l := pmReadMPD(t, u).Periods[0].Sets[0].Rep.List
			require.Len(t, l.S, 1)
			assert.Equal(t, startOf[c.first].UnixMilli(), l.S[0].T, "the first segment is the first fragment's")
			assert.Equal(t, startOf[c.first].UnixMilli(), l.Offset, "the timeline's zero")
			assert.NotEmpty(t, pmGet(t, pmResolve(u, strings.Replace(l.Media, "$Number$", "0", 1))))
			s.ahead.Add(int64(1100 * time.Millisecond))
			l = pmReadMPD(t, u).Periods[0].Sets[0].Rep.List
			require.Len(t, l.S, 2)
			assert.Equal(t, startOf[c.next].UnixMilli(), l.S[1].T)
		})
	}
}

// TestDynamicManifest: LIVE and LIVE_REPLAY manifests carry what dash.js
// and shaka need to follow them, and their UTCTiming names this server's
// clock, GET /time, which answers the time the manifest is made by.
func TestDynamicManifest(t *testing.T) {
	s := newPMServer(t)
	frags, _ := pmFragments(t, 3)
	t0 := time.Now().Add(-time.Minute)
	s.put(t, t0, frags, nil, nil)
	out, err := s.media.GetDASHStreamingSessionURL(context.Background(), &am.GetDASHStreamingSessionURLInput{
		StreamName: aws.String("cam"), PlaybackMode: amtypes.DASHPlaybackModeLiveReplay,
		DASHFragmentSelector: &amtypes.DASHFragmentSelector{FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.DASHTimestampRange{StartTimestamp: aws.Time(t0)}},
	})
	require.NoError(t, err)
	created := time.Now()
	m := pmReadMPD(t, *out.DASHStreamingSessionURL)
	assert.Equal(t, "dynamic", m.Type)
	assert.Equal(t, "PT1.000S", m.MinUpdate)
	assert.NotEmpty(t, m.TSBD)
	assert.NotEmpty(t, m.Delay)
	ast, err := time.Parse(time.RFC3339Nano, m.AST)
	require.NoError(t, err)
	assert.WithinDuration(t, created, ast, 5*time.Second, "a replay's timeline begins when the session does")
	_, err = time.Parse(time.RFC3339Nano, m.Publish)
	require.NoError(t, err)
	require.Len(t, m.UTCTiming, 1)
	assert.Equal(t, "urn:mpeg:dash:utc:http-iso:2014", m.UTCTiming[0].Scheme)
	assert.Equal(t, s.url+"/time", m.UTCTiming[0].Value, "the server's own clock, no outside time server")

	s.ahead.Store(int64(time.Hour))
	clock, err := time.Parse(time.RFC3339Nano, string(pmGet(t, m.UTCTiming[0].Value)))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Hour), clock, 5*time.Second, "GET /time is the server's clock")
}

// TestHLSLiveFFmpegDiscontinuities: ffmpeg follows a LIVE HLS session
// with a discontinuity at every fragment (DiscontinuityMode ALWAYS, where
// each EXT-X-MAP is opened again) while a producer streams in real time.
func TestHLSLiveFFmpegDiscontinuities(t *testing.T) {
	mediatest.Need(t, "ffmpeg")
	s := newPMServer(t)
	frags, _ := pmFragments(t, 14)
	started := make(chan struct{})
	begin := time.Now()
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		// Each fragment at its producer time: as a camera sends.
		s.put(t, begin, frags, func(i int) {
			time.Sleep(time.Until(begin.Add(time.Duration(frags[i].Timecode) * time.Millisecond)))
		}, func(string) {
			select {
			case <-started:
			default:
				close(started)
			}
		})
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("no fragment PERSISTED in 10 s")
	}
	out, err := s.media.GetHLSStreamingSessionURL(context.Background(), &am.GetHLSStreamingSessionURLInput{
		StreamName: aws.String("cam"), PlaybackMode: amtypes.HLSPlaybackModeLive,
		DiscontinuityMode: amtypes.HLSDiscontinuityModeAlways,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	// 6 s of media: more than the window held when ffmpeg began, so it
	// follows the playlist as it slides.
	ff := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-i", *out.HLSStreamingSessionURL, "-t", "6", "-f", "null", "-")
	msgs, err := ff.CombinedOutput()
	assert.NoError(t, err, "ffmpeg following the live session: %s", msgs)
	assert.NotContains(t, string(msgs), "initialization section")
	select {
	case <-produced:
	case <-time.After(30 * time.Second):
		t.Fatal("the producer did not finish in 30 s")
	}
}

// TestDASHOnDemandEveryAudioFrame: ffmpeg reads every audio frame of an
// ON_DEMAND DASH session, the last ones too: the period lasts until the
// longest track ends, not the video.
func TestDASHOnDemandEveryAudioFrame(t *testing.T) {
	mediatest.Need(t, "ffmpeg", "ffprobe")
	s := newPMServer(t)
	frags, frames := pmFragments(t, 8)
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	s.put(t, t0, frags, nil, nil)
	out, err := s.media.GetDASHStreamingSessionURL(context.Background(), &am.GetDASHStreamingSessionURLInput{
		StreamName: aws.String("cam"), PlaybackMode: amtypes.DASHPlaybackModeOnDemand,
		DASHFragmentSelector: &amtypes.DASHFragmentSelector{FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.DASHTimestampRange{StartTimestamp: aws.Time(t0), EndTimestamp: aws.Time(t0.Add(time.Minute))}},
	})
	require.NoError(t, err)
	u := *out.DASHStreamingSessionURL
	msgs, ok := mediatest.Decode(t, u)
	require.True(t, ok, msgs)
	count := map[int]int{}
	for _, p := range mediatest.Packets(t, u) {
		count[p.Stream]++
	}
	assert.Equal(t, map[int]int{0: frames[1], 1: frames[2]}, count, "every video and audio frame")
}
