package server

import (
	"context"
	"encoding/xml"
	"net/http"
	"os"
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
	Type   string `xml:"type,attr"`
	Period struct {
		Sets []struct {
			Content string `xml:"contentType,attr"`
			Rep     struct {
				List struct {
					Offset int64  `xml:"presentationTimeOffset,attr"`
					Start  int64  `xml:"startNumber,attr"`
					Init   string `xml:"initialization,attr"`
					Media  string `xml:"media,attr"`
					S      []struct {
						T  int64  `xml:"t,attr"`
						D  int64  `xml:"d,attr"`
						FN string `xml:"https://kinesisvideo.amazonaws.com/dash fn,attr"`
					} `xml:"SegmentTimeline>S"`
				} `xml:"SegmentTemplate"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
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
	code, body := fetchURL(t, u)
	require.Equal(t, http.StatusOK, code, string(body))
	var m mpdTimeline
	require.NoError(t, xml.Unmarshal(body, &m), string(body))
	assert.Equal(t, "static", m.Type)
	require.Len(t, m.Period.Sets, 2, "a video and an audio adaptation set")
	assert.Equal(t, "video", m.Period.Sets[0].Content)
	assert.Equal(t, "audio", m.Period.Sets[1].Content)
	for _, set := range m.Period.Sets {
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
		code, whole := fetchURL(t, resolve(u, l.Init))
		require.Equal(t, http.StatusOK, code, string(whole))
		for k := range l.S {
			n := strconv.FormatInt(l.Start+int64(k), 10)
			code, body := fetchURL(t, resolve(u, strings.Replace(l.Media, "$Number$", n, 1)))
			require.Equal(t, http.StatusOK, code, string(body))
			whole = append(whole, body...)
		}
		path := filepath.Join(t.TempDir(), "track.mp4")
		require.NoError(t, os.WriteFile(path, whole, 0o644))
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
