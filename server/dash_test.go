package server_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
)

// mpdTimeline is the part of an MPD the tests read.
type mpdTimeline struct {
	Type    string      `xml:"type,attr"`
	Periods []mpdPeriod `xml:"Period"`
}

// Period is the MPD's first period, the only one without codec changes.
func (m *mpdTimeline) Period() *mpdPeriod {
	if len(m.Periods) == 0 {
		return &mpdPeriod{}
	}
	return &m.Periods[0]
}

type mpdPeriod struct {
	ID       string     `xml:"id,attr"`
	Start    string     `xml:"start,attr"`
	Duration string     `xml:"duration,attr"`
	Sets     []mpdTrack `xml:"AdaptationSet"`
}

type mpdTrack struct {
	Content string `xml:"contentType,attr"`
	Rep     struct {
		Codecs string         `xml:"codecs,attr"`
		List   mpdSegmentList `xml:"SegmentTemplate"`
	} `xml:"Representation"`
}

type mpdSegmentList struct {
	Offset int64  `xml:"presentationTimeOffset,attr"`
	Start  int64  `xml:"startNumber,attr"`
	Init   string `xml:"initialization,attr"`
	Media  string `xml:"media,attr"`
	S      []struct {
		T  int64  `xml:"t,attr"`
		D  int64  `xml:"d,attr"`
		FN string `xml:"https://kinesisvideo.amazonaws.com/dash fn,attr"`
	} `xml:"SegmentTimeline>S"`
}

// readMPD fetches and parses a manifest, which must be served.
func readMPD(t *testing.T, u string) (mpdTimeline, []byte) {
	t.Helper()
	code, body := fetchURL(t, u)
	require.Equal(t, http.StatusOK, code, string(body))
	var m mpdTimeline
	require.NoError(t, xml.Unmarshal(body, &m), string(body))
	return m, body
}

// dashTrackFile fetches a track's init segment and then every media
// segment of its SegmentTimeline, as a player does, and writes them one
// after the other: a whole fragmented MP4, whose path it returns.
func dashTrackFile(t *testing.T, mpdURL string, l mpdSegmentList) string {
	t.Helper()
	code, whole := fetchURL(t, resolve(mpdURL, l.Init))
	require.Equal(t, http.StatusOK, code, string(whole))
	for k := range l.S {
		n := strconv.FormatInt(l.Start+int64(k), 10)
		code, body := fetchURL(t, resolve(mpdURL, strings.Replace(l.Media, "$Number$", n, 1)))
		require.Equal(t, http.StatusOK, code, string(body))
		whole = append(whole, body...)
	}
	path := filepath.Join(t.TempDir(), "track.mp4")
	require.NoError(t, os.WriteFile(path, whole, 0o644))
	return path
}

func TestDASHOnDemand(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	want := putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start, 8)
	times := recordingTimes(t, "h264-aac-160x120.getmedia.mkv", true, start, 8)

	out, err := r.media.GetDASHStreamingSessionURL(context.Background(), &am.GetDASHStreamingSessionURLInput{
		StreamName:   aws.String("cam"),
		PlaybackMode: amtypes.DASHPlaybackModeOnDemand,
		DASHFragmentSelector: &amtypes.DASHFragmentSelector{
			FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.DASHTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Hour))},
		},
		DisplayFragmentNumber: amtypes.DASHDisplayFragmentNumberAlways,
	})
	require.NoError(t, err)
	u := *out.DASHStreamingSessionURL
	m, _ := readMPD(t, u)
	assert.Equal(t, "static", m.Type)
	require.Len(t, m.Period().Sets, 2, "a video and an audio adaptation set")
	assert.Equal(t, "video", m.Period().Sets[0].Content)
	assert.Equal(t, "audio", m.Period().Sets[1].Content)
	for _, set := range m.Period().Sets {
		l := set.Rep.List
		require.NotEmpty(t, l.S)
		assert.Equal(t, start.UnixMilli(), l.Offset, "the timeline starts at the first fragment")
		for i, s := range l.S {
			assert.NotEmpty(t, s.FN, "kvs:fn with DisplayFragmentNumber ALWAYS")
			if i > 0 {
				assert.LessOrEqual(t, l.S[i-1].T+l.S[i-1].D, s.T, "segment %d does not overlap the one before", i)
			}
		}
		// The track's segments concatenated are a whole fragmented MP4.
		path := dashTrackFile(t, u, l)
		var sizes []int
		var pts []int64
		for _, pk := range mediatest.Packets(t, path) {
			sizes = append(sizes, pk.Size)
			pts = append(pts, pk.PTS)
		}
		track := uint64(1)
		if set.Content == "audio" {
			track = 2
		}
		assert.Equal(t, want[track], sizes, "the %s segments hold every frame", set.Content)
		if track == 1 {
			// Segment after segment, every frame is where the input has
			// it: no gap, no overlap, at the fragments' own times (the
			// video's timescale is 1000).
			require.Equal(t, []int64{1000}, mediatest.TimeBase(t, path)[:1])
			assert.Equal(t, times[1], pts)
		} else {
			// Audio frames keep their order across segments, each within
			// a millisecond of the input's time.
			require.Len(t, pts, len(times[2]))
			scale := mediatest.TimeBase(t, path)[0]
			for i := range pts {
				if i > 0 {
					assert.Greater(t, pts[i], pts[i-1])
				}
				assert.InDelta(t, times[2][i], pts[i]*1000/scale, 1, "audio frame %d", i)
			}
		}
	}

	// ffmpeg's DASH reader decodes the session silently and gets every
	// video frame; it leaves out the very last audio frame of the
	// presentation, which the audio track's segments do hold (checked
	// above), so audio is compared without it.
	msg, ok := mediatest.Decode(t, u)
	require.True(t, ok, msg)
	got := map[uint64][]int{}
	for _, pk := range mediatest.Packets(t, u) {
		got[uint64(pk.Stream+1)] = append(got[uint64(pk.Stream+1)], pk.Size)
	}
	assert.Equal(t, want[1], got[1])
	require.NotEmpty(t, want[2])
	assert.Equal(t, want[2][:len(want[2])-1], got[2][:min(len(got[2]), len(want[2])-1)])
}

// TestDASHCodecChange: where the codec data change between two
// recordings, the MPD starts a new Period, with its own initialization
// segments and codecs, at the second recording's place on the session's
// timeline; each period's tracks decode whole with ffmpeg, every frame of
// each recording. ffmpeg's DASH reader plays one period of an MPD (the
// longest), so the two are played across the change by ffmpeg's concat
// reader, one after the other, with no decode error.
func TestDASHCodecChange(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	second := start.Add(time.Minute)
	want := []map[uint64][]int{
		putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start, 3),
		putRecording(t, r, "cam", "h264-main-aac44k-stereo.getmedia.mkv", true, second, 3),
	}
	end := second.Add(time.Minute)
	out, err := r.media.GetDASHStreamingSessionURL(context.Background(), &am.GetDASHStreamingSessionURLInput{
		StreamName: aws.String("cam"), PlaybackMode: amtypes.DASHPlaybackModeOnDemand,
		DASHFragmentSelector: &amtypes.DASHFragmentSelector{FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.DASHTimestampRange{StartTimestamp: &start, EndTimestamp: &end}},
	})
	require.NoError(t, err)
	u := *out.DASHStreamingSessionURL
	m, body := readMPD(t, u)
	require.Len(t, m.Periods, 2, "a period per run of codec data: %s", body)
	p0, p1 := m.Periods[0], m.Periods[1]
	assert.Equal(t, "PT0.000S", p0.Start)
	assert.Equal(t, "PT60.000S", p1.Start, "the second period starts where the second recording does on the session's timeline")
	require.Len(t, p1.Sets, 2)
	for i := range p1.Sets {
		a, b := p0.Sets[i].Rep.List, p1.Sets[i].Rep.List
		assert.NotEqual(t, a.Init, b.Init, "set %d: an init segment of its own", i)
		assert.Equal(t, a.Start+int64(len(a.S)), b.Start, "set %d: segment numbers go on", i)
		assert.Equal(t, second.UnixMilli(), b.Offset, "set %d: the period's times count from its start", i)
		assert.Equal(t, b.Offset, b.S[0].T)
	}
	assert.Equal(t, p0.ID, "0")
	assert.NotEqual(t, p0.ID, p1.ID)

	var list strings.Builder
	frames := map[string]int{}
	for k, p := range m.Periods {
		for _, set := range p.Sets {
			path := dashTrackFile(t, u, set.Rep.List)
			msg, ok := mediatest.Decode(t, path)
			require.True(t, ok, "period %d %s: %s", k, set.Content, msg)
			var sizes []int
			for _, pk := range mediatest.Packets(t, path) {
				sizes = append(sizes, pk.Size)
			}
			track := uint64(1)
			if set.Content == "audio" {
				track = 2
			} else {
				fmt.Fprintf(&list, "file '%s'\n", path)
			}
			assert.Equal(t, want[k][track], sizes, "period %d: every %s frame", k, set.Content)
			frames[set.Content] += len(sizes)
		}
	}
	// Both periods' video, one after the other: the decoder is set up
	// again at the change.
	concat := filepath.Join(t.TempDir(), "periods.txt")
	require.NoError(t, os.WriteFile(concat, []byte(list.String()), 0o644))
	ff := exec.Command("ffmpeg", "-nostdin", "-xerror", "-v", "error", "-f", "concat", "-safe", "0", "-i", concat, "-map", "0:v", "-f", "framecrc", "-")
	var stdout, stderr bytes.Buffer
	ff.Stdout, ff.Stderr = &stdout, &stderr
	require.NoError(t, ff.Run(), "ffmpeg across the periods: %s", stderr.String())
	assert.Empty(t, stderr.String(), "decode silent")
	assert.Equal(t, map[int]int{0: len(want[0][1]) + len(want[1][1])}, framecrcCounts(stdout.Bytes()), "every video frame of both periods decoded")
	assert.Equal(t, len(want[0][1])+len(want[1][1]), frames["video"])
}
