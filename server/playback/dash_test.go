package playback

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// periodsOf writes m and reads back each Period's id, start, duration
// and its first track's startNumber and presentationTimeOffset.
func periodsOf(t *testing.T, m *Manifest) [][5]string {
	t.Helper()
	var b strings.Builder
	_, err := m.WriteTo(&b)
	require.NoError(t, err)
	var x struct {
		Periods []struct {
			ID       string `xml:"id,attr"`
			Start    string `xml:"start,attr"`
			Duration string `xml:"duration,attr"`
			Sets     []struct {
				Rep struct {
					List struct {
						Start  string `xml:"startNumber,attr"`
						Offset string `xml:"presentationTimeOffset,attr"`
					} `xml:"SegmentTemplate"`
				} `xml:"Representation"`
			} `xml:"AdaptationSet"`
		} `xml:"Period"`
	}
	require.NoError(t, xml.Unmarshal([]byte(b.String()), &x), b.String())
	var out [][5]string
	for _, p := range x.Periods {
		require.NotEmpty(t, p.Sets)
		l := p.Sets[0].Rep.List
		out = append(out, [5]string{p.ID, p.Start, p.Duration, l.Start, l.Offset})
	}
	return out
}

// TestManifestPeriods: a period per run of codec data, named and placed
// by the segment where the data change, so that a live MPD's periods
// keep their ids and starts as the window slides.
func TestManifestPeriods(t *testing.T) {
	video := []Track{{ID: 1, Video: true}}
	origin := int64(1_700_000_000_000) - 8000 // the session began 8 s before the window
	cases := []struct {
		name    string
		dynamic bool
		periods []Period
		want    [][5]string
	}{
		{"no periods: one, from the session's zero", false, nil,
			[][5]string{{"0", "PT0.000S", "PT6.000S", "10", "1699999992000"}}},
		{"a change inside the window", false,
			[]Period{{First: 0, Tracks: video, InitURI: "a%d"}, {First: 2, Changed: true, Tracks: video, InitURI: "b%d"}},
			[][5]string{{"0", "PT0.000S", "PT4.000S", "10", "1699999992000"}, {"12", "PT12.000S", "PT2.000S", "12", "1700000004000"}}},
		{"live: the last period is open", true,
			[]Period{{First: 0, Tracks: video, InitURI: "a%d"}, {First: 1, Changed: true, Tracks: video, InitURI: "b%d"}},
			[][5]string{{"0", "PT0.000S", "PT2.000S", "10", "1699999992000"}, {"11", "PT10.000S", "", "11", "1700000002000"}}},
		{"live: the change at the window's start", true,
			[]Period{{First: 0, Changed: true, Tracks: video, InitURI: "b%d"}},
			[][5]string{{"10", "PT8.000S", "", "10", "1700000000000"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &Manifest{Window: Window{Segments: segs(2000, 2000, 2000)}, Dynamic: c.dynamic, Origin: origin,
				Now: time.UnixMilli(origin + 20000), Tracks: video, InitURI: "init%d", MediaURI: "m$Number$-%d", Periods: c.periods}
			assert.Equal(t, c.want, periodsOf(t, m))
		})
	}
}
