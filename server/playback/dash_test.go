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

// TestManifestDynamicAttributes: a live MPD carries what players need to
// follow it (dash.js, shaka): its clock's zero, the time-shift buffer of
// the window, a presentation delay of three segments at most the window,
// and a UTCTiming naming the server's clock; a static one none of them.
func TestManifestDynamicAttributes(t *testing.T) {
	type mpd struct {
		Type, AST, Publish, MinUpdate, TSBD, Delay, Duration string
		Timing                                               [][2]string
	}
	read := func(t *testing.T, m *Manifest) mpd {
		var b strings.Builder
		_, err := m.WriteTo(&b)
		require.NoError(t, err)
		var x struct {
			Type      string `xml:"type,attr"`
			AST       string `xml:"availabilityStartTime,attr"`
			Publish   string `xml:"publishTime,attr"`
			MinUpdate string `xml:"minimumUpdatePeriod,attr"`
			TSBD      string `xml:"timeShiftBufferDepth,attr"`
			Delay     string `xml:"suggestedPresentationDelay,attr"`
			Duration  string `xml:"mediaPresentationDuration,attr"`
			Timing    []struct {
				Scheme string `xml:"schemeIdUri,attr"`
				Value  string `xml:"value,attr"`
			} `xml:"UTCTiming"`
		}
		require.NoError(t, xml.Unmarshal([]byte(b.String()), &x), b.String())
		out := mpd{x.Type, x.AST, x.Publish, x.MinUpdate, x.TSBD, x.Delay, x.Duration, nil}
		for _, u := range x.Timing {
			out.Timing = append(out.Timing, [2]string{u.Scheme, u.Value})
		}
		return out
	}
	const t0 = int64(1_700_000_000_000)
	video := []Track{{ID: 1, Video: true}}
	timing := [][2]string{{"urn:mpeg:dash:utc:http-iso:2014", "http://kvs.example/time"}}
	cases := []struct {
		name    string
		dynamic bool
		segs    []int64
		want    mpd
	}{
		{"live, a full window", true, []int64{2000, 2000, 2000, 2000, 2000},
			mpd{"dynamic", "2023-11-14T22:13:15Z", "2023-11-14T22:13:30Z", "PT1.000S", "PT10.000S", "PT6.000S", "", timing}},
		{"live replay at its start: the delay is the window", true, []int64{1500},
			mpd{"dynamic", "2023-11-14T22:13:15Z", "2023-11-14T22:13:30Z", "PT1.000S", "PT1.500S", "PT1.500S", "", timing}},
		{"on demand: static", false, []int64{2000, 1000},
			mpd{"static", "", "", "", "", "", "PT3.000S", nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &Manifest{Window: Window{Segments: segs(c.segs...)}, Dynamic: c.dynamic, Origin: t0 - 20000,
				AvailabilityStart: t0 - 5000, Now: time.UnixMilli(t0 + 10000), Tracks: video, InitURI: "init%d",
				MediaURI: "m$Number$-%d", TimeURI: "http://kvs.example/time"}
			assert.Equal(t, c.want, read(t, m))
		})
	}
}
