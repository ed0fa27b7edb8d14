package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server"
)

// mediaPlaylistOf fetches a session's media playlist.
func mediaPlaylistOf(t *testing.T, u string) *hlsPlaylist {
	t.Helper()
	code, master := fetchURL(t, u)
	require.Equal(t, http.StatusOK, code, string(master))
	lines := strings.Split(strings.TrimSpace(string(master)), "\n")
	code, media := fetchURL(t, resolve(u, lines[len(lines)-1]))
	require.Equal(t, http.StatusOK, code, string(media))
	return parseMediaPlaylist(t, media)
}

// TestHLSLiveReplay: fragments join the playlist as the session's clock
// passes their start, and the playlist ends when the range is played out.
func TestHLSLiveReplay(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	r := newRig(t, func(c *server.Config) { c.Now = func() time.Time { return time.Unix(0, clock.Load()) } })
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start, 6)

	u := hlsSession(t, r, &am.GetHLSStreamingSessionURLInput{
		StreamName:   aws.String("cam"),
		PlaybackMode: amtypes.HLSPlaybackModeLiveReplay,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{
			FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(4 * time.Second))},
		},
		MaxMediaPlaylistFragmentResults: aws.Int64(3),
	})
	p := mediaPlaylistOf(t, u)
	assert.Len(t, p.uris, 1, "at the start, the first fragment")
	assert.False(t, p.ended)
	first := p.uris[0]

	clock.Add(int64(2500 * time.Millisecond))
	p = mediaPlaylistOf(t, u)
	assert.Len(t, p.uris, 3, "2.5 s later, the fragments that start by then")
	assert.Equal(t, first, p.uris[0])
	assert.False(t, p.ended)

	clock.Add(int64(2 * time.Second))
	p = mediaPlaylistOf(t, u)
	assert.Len(t, p.uris, 3, "the window slides")
	assert.Equal(t, int64(2), p.seq, "and its sequence numbers follow")
	assert.True(t, p.ended, "played out to EndTimestamp")

	// With a discontinuity at every boundary, the discontinuity sequence
	// counts those that slid out: one per segment before the window.
	in := &am.GetHLSStreamingSessionURLInput{
		StreamName:   aws.String("cam"),
		PlaybackMode: amtypes.HLSPlaybackModeLiveReplay,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{
			FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start)},
		},
		DiscontinuityMode:               amtypes.HLSDiscontinuityModeAlways,
		MaxMediaPlaylistFragmentResults: aws.Int64(2),
	}
	u = hlsSession(t, r, in)
	clock.Add(int64(5 * time.Second))
	p = mediaPlaylistOf(t, u)
	require.Len(t, p.uris, 2)
	assert.Equal(t, p.seq, p.discSeq)
	assert.Equal(t, 1, p.discontinuities, "between the two segments shown")
	assert.False(t, p.ended, "no EndTimestamp: the session goes on")
}

// TestSessionDefaults: SERVER_TIMESTAMP sessions mark a discontinuity
// between every fragment by default, as the API documents.
func TestSessionDefaults(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	before := time.Now().Add(-time.Second)
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), 4)
	u := hlsSession(t, r, &am.GetHLSStreamingSessionURLInput{
		StreamName:   aws.String("cam"),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{
			FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
			TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(before), EndTimestamp: aws.Time(time.Now())},
		},
	})
	p := mediaPlaylistOf(t, u)
	require.NotEmpty(t, p.uris)
	assert.Equal(t, len(p.uris)-1, p.discontinuities)
}

// TestDASHLive: a LIVE manifest is dynamic, keeps its timeline's zero and
// numbers as the window slides, and its segments are served.
func TestDASHLive(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, time.Now().Add(-time.Minute), 8)
	out, err := r.media.GetDASHStreamingSessionURL(context.Background(), &am.GetDASHStreamingSessionURLInput{
		StreamName: aws.String("cam"), PlaybackMode: amtypes.DASHPlaybackModeLive,
		MaxManifestFragmentResults: aws.Int64(3),
	})
	require.NoError(t, err)
	u := *out.DASHStreamingSessionURL
	read := func() mpdTimeline {
		m, _ := readMPD(t, u)
		return m
	}
	m := read()
	assert.Equal(t, "dynamic", m.Type)
	require.NotEmpty(t, m.Period().Sets)
	l := m.Period().Sets[0].Rep.List
	assert.Len(t, l.S, 3)
	assert.Equal(t, int64(0), l.Start)
	code, body := fetchURL(t, resolve(u, strings.Replace(l.Media, "$Number$", "2", 1)))
	require.Equal(t, http.StatusOK, code, string(body))

	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, time.Now(), 1)
	m2 := read()
	l2 := m2.Period().Sets[0].Rep.List
	assert.Greater(t, l2.Start, l.Start, "the window slid")
	assert.Equal(t, l.Offset, l2.Offset, "the timeline's zero stays")
	if k := l.Start + int64(len(l.S)) - 1 - l2.Start; k >= 0 {
		assert.Equal(t, l.S[len(l.S)-1].T, l2.S[k].T, "a segment keeps its number")
	}
}
