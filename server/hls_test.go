package server_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
)

// putRecording puts about seconds of a committed recording into stream, as
// a producer sends it, and returns the frame sizes per track it holds.
func putRecording(t *testing.T, r *rig, stream, file string, audio bool, start time.Time, seconds float64) map[uint64][]int {
	t.Helper()
	m := loadProducerMedia(t, file, audio, false, start, seconds)
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
	sizes := map[uint64][]int{}
	for _, f := range m.frags {
		require.NoError(t, w.WriteFragment(f))
		for _, b := range f.Blocks {
			sizes[b.Track] = append(sizes[b.Track], len(b.Data))
		}
	}
	require.NoError(t, w.Close())
	acks, err := r.put(stream, "RELATIVE", start, &buf)
	require.NoError(t, err)
	require.Len(t, persisted(acks), len(m.frags))
	return sizes
}

// recordingTimes lists the frame times per track, ms since the epoch, of
// what putRecording puts with the same arguments.
func recordingTimes(t *testing.T, file string, audio bool, start time.Time, seconds float64) map[uint64][]int64 {
	t.Helper()
	m := loadProducerMedia(t, file, audio, false, start, seconds)
	out := map[uint64][]int64{}
	for _, f := range m.frags {
		for _, b := range f.Blocks {
			out[b.Track] = append(out[b.Track], start.UnixMilli()+b.Time)
		}
	}
	return out
}

// fetchURL fetches a URL and returns its status and body.
func fetchURL(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// hlsPlaylist is a media playlist as parsed by the test.
type hlsPlaylist struct {
	version, target            int
	seq, discSeq               int64
	ended, vod                 bool
	maps                       []string
	durations                  []float64
	uris                       []string
	discontinuities            int
	dateTimes                  []time.Time
	independent, sawMediaSeqAt bool
}

// parseMediaPlaylist parses a media playlist and checks the rules of RFC
// 8216 that apply to every playlist the server sends.
func parseMediaPlaylist(t *testing.T, body []byte) *hlsPlaylist {
	t.Helper()
	p := &hlsPlaylist{seq: -1, discSeq: -1}
	sc := bufio.NewScanner(bytes.NewReader(body))
	first := true
	pendingInf := false
	for sc.Scan() {
		line := sc.Text()
		if first {
			require.Equal(t, "#EXTM3U", line, "§4.3.1.1: the first line is EXTM3U")
			first = false
			continue
		}
		tag, val, _ := strings.Cut(line, ":")
		switch {
		case line == "":
		case tag == "#EXT-X-VERSION":
			p.version, _ = strconv.Atoi(val)
		case tag == "#EXT-X-TARGETDURATION":
			p.target, _ = strconv.Atoi(val)
		case tag == "#EXT-X-MEDIA-SEQUENCE":
			require.Empty(t, p.uris, "§4.3.3.2: MEDIA-SEQUENCE before the first segment")
			p.seq, _ = strconv.ParseInt(val, 10, 64)
		case tag == "#EXT-X-DISCONTINUITY-SEQUENCE":
			require.Empty(t, p.uris, "§4.3.3.3: DISCONTINUITY-SEQUENCE before the first segment")
			p.discSeq, _ = strconv.ParseInt(val, 10, 64)
		case tag == "#EXT-X-PLAYLIST-TYPE":
			p.vod = val == "VOD"
		case tag == "#EXT-X-INDEPENDENT-SEGMENTS":
			p.independent = true
		case tag == "#EXT-X-ENDLIST":
			p.ended = true
		case tag == "#EXT-X-DISCONTINUITY":
			p.discontinuities++
		case tag == "#EXT-X-MAP":
			p.maps = append(p.maps, val)
		case tag == "#EXT-X-PROGRAM-DATE-TIME":
			ts, err := time.Parse(time.RFC3339Nano, val)
			require.NoError(t, err, "§4.3.2.6: ISO 8601 date-time")
			p.dateTimes = append(p.dateTimes, ts)
		case tag == "#EXTINF":
			d, _, _ := strings.Cut(val, ",")
			f, err := strconv.ParseFloat(d, 64)
			require.NoError(t, err)
			p.durations = append(p.durations, f)
			pendingInf = true
		case strings.HasPrefix(line, "#"):
			t.Fatalf("unexpected tag %q", line)
		default:
			require.True(t, pendingInf, "§4.3.2.1: every URI has an EXTINF")
			p.uris = append(p.uris, line)
			pendingInf = false
		}
	}
	require.False(t, first, "empty playlist")
	require.GreaterOrEqual(t, p.seq, int64(0), "EXT-X-MEDIA-SEQUENCE")
	require.GreaterOrEqual(t, p.discSeq, int64(0), "EXT-X-DISCONTINUITY-SEQUENCE")
	require.Positive(t, p.target, "§4.3.3.1: EXT-X-TARGETDURATION is required")
	for _, d := range p.durations {
		require.LessOrEqual(t, int(math.Round(d)), p.target, "§4.3.3.1: every EXTINF rounded is at most the target duration")
	}
	if len(p.maps) > 0 {
		require.GreaterOrEqual(t, p.version, 6, "§4.3.2.5/§7: EXT-X-MAP needs version 6")
	}
	return p
}

// hlsSession asks the SDK for an HLS session URL.
func hlsSession(t *testing.T, r *rig, in *am.GetHLSStreamingSessionURLInput) string {
	t.Helper()
	out, err := r.media.GetHLSStreamingSessionURL(context.Background(), in)
	require.NoError(t, err)
	return *out.HLSStreamingSessionURL
}

// resolve makes a playlist's relative URI absolute.
func resolve(base, ref string) string {
	i := strings.LastIndex(base[:strings.Index(base, "?")], "/")
	return base[:i+1] + ref
}

func TestHLSOnDemandFMP4(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	want := putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start, 8)

	u := hlsSession(t, r, &am.GetHLSStreamingSessionURLInput{
		StreamName:   aws.String("cam"),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{
			FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Hour))},
		},
		DisplayFragmentTimestamp: amtypes.HLSDisplayFragmentTimestampAlways,
	})
	code, master := fetchURL(t, u)
	require.Equal(t, http.StatusOK, code, string(master))
	t.Logf("master:\n%s", master)
	lines := strings.Split(strings.TrimSpace(string(master)), "\n")
	mediaURL := resolve(u, lines[len(lines)-1])
	code, media := fetchURL(t, mediaURL)
	require.Equal(t, http.StatusOK, code, string(media))
	t.Logf("media:\n%s", media)
	p := parseMediaPlaylist(t, media)
	assert.True(t, p.ended, "ON_DEMAND ends with EXT-X-ENDLIST")
	assert.True(t, p.vod)
	assert.Len(t, p.dateTimes, len(p.uris), "PROGRAM-DATE-TIME on every segment")
	assert.Zero(t, p.discontinuities, "NEVER is the default for producer timestamps")

	assert.Contains(t, string(master), "#EXT-X-MEDIA:TYPE=AUDIO", "a media playlist per track, as KVS has")

	msg, ok := mediatest.Decode(t, u)
	require.True(t, ok, msg)
	assertSameStreams(t, want, packetSizes(t, u))
}

// packetSizes lists ffprobe's packet sizes of a URL per stream.
func packetSizes(t *testing.T, u string) map[int][]int {
	got := map[int][]int{}
	for _, pk := range mediatest.Packets(t, u) {
		got[pk.Stream] = append(got[pk.Stream], pk.Size)
	}
	return got
}

// assertSameStreams checks that every track's frames are one stream's
// packets: a player numbers the streams of alternative renditions in its
// own order.
func assertSameStreams(t *testing.T, want map[uint64][]int, got map[int][]int) {
	t.Helper()
	require.Len(t, got, len(want))
	for track, sizes := range want {
		found := false
		for _, g := range got {
			found = found || slices.Equal(sizes, g)
		}
		assert.True(t, found, "track %d: every frame, with its size", track)
	}
}

func TestHLSOnDemandTS(t *testing.T) {
	cases := []struct {
		file  string
		audio bool
	}{
		{"h264-aac-160x120.getmedia.mkv", true},
		{"h264-high-bpyramid-aac48k-mono.getmedia.mkv", true},
		{"hevc-main10-174x142-aac16k-stereo.getmedia.mkv", true},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel() // each file on its own rig, checked by ffprobe
			r := newRig(t)
			r.createStream("cam", 24)
			start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
			want := putRecording(t, r, "cam", c.file, c.audio, start, 6)
			in := onDemandHLS("cam", start)
			in.ContainerFormat = amtypes.ContainerFormatMpegTs
			in.DiscontinuityMode = amtypes.HLSDiscontinuityModeOnDiscontinuity
			u := hlsSession(t, r, in)
			_, master := fetchURL(t, u)
			lines := strings.Split(strings.TrimSpace(string(master)), "\n")
			code, media := fetchURL(t, resolve(u, lines[len(lines)-1]))
			require.Equal(t, http.StatusOK, code, string(media))
			p := parseMediaPlaylist(t, media)
			assert.Empty(t, p.maps, "MPEG-TS segments have no EXT-X-MAP")
			assert.True(t, p.ended)

			msg, ok := mediatest.Decode(t, u)
			require.True(t, ok, msg)
			got := map[uint64]int{}
			for _, pk := range mediatest.Packets(t, u) {
				got[uint64(pk.Stream+1)]++
			}
			for track, sizes := range want {
				assert.Equal(t, len(sizes), got[track], "track %d: every frame", track)
			}
		})
	}
}

// TestHLSCodecChange: where the codec data changes, the playlist has a
// discontinuity, and an fMP4 one a new EXT-X-MAP. ffmpeg's HLS reader
// keeps the first init segment's decoder configuration across a map
// change, so the whole is decoded through the MPEG-TS session, whose
// segments carry their parameter sets in band.
func TestHLSCodecChange(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	a := putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", false, start, 3)
	b := putRecording(t, r, "cam", "h264-main-aac44k-stereo.getmedia.mkv", false, start.Add(time.Minute), 3)

	for _, container := range []amtypes.ContainerFormat{amtypes.ContainerFormatFragmentedMp4, amtypes.ContainerFormatMpegTs} {
		in := onDemandHLS("cam", start)
		in.ContainerFormat = container
		u := hlsSession(t, r, in)
		_, master := fetchURL(t, u)
		lines := strings.Split(strings.TrimSpace(string(master)), "\n")
		_, media := fetchURL(t, resolve(u, lines[len(lines)-1]))
		p := parseMediaPlaylist(t, media)
		assert.Equal(t, 1, p.discontinuities, "one discontinuity, where the codec data changes")
		if container == amtypes.ContainerFormatFragmentedMp4 {
			require.Len(t, p.maps, 2)
			assert.NotEqual(t, p.maps[0], p.maps[1])
			continue
		}
		msg, ok := mediatest.Decode(t, u)
		require.True(t, ok, msg)
		assert.Len(t, mediatest.Packets(t, u), len(a[1])+len(b[1]), "every frame of both")
	}
}
