package playback

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// Manifest describes a DASH MPD with one adaptation set and
// representation per track (players such as ffmpeg's read one track per
// representation), each with a SegmentTemplate and a SegmentTimeline. As
// with KVS, a segment is named by its sequence number in the session
// ($Number$); the KVS fragment number is only shown, as kvs:fn, when
// DisplayFragmentNumber asks for it. Where the tracks' codec data change
// between two fragments a new Period begins, with an initialization
// segment of its own: one period per run of fragments a decoder can play
// without being set up again.
type Manifest struct {
	Window
	// Dynamic makes a live MPD (LIVE, LIVE_REPLAY) refreshed every
	// MinUpdate; otherwise it is static (ON_DEMAND).
	Dynamic bool
	// Origin is the session timeline's zero on the media time line, ms
	// since the epoch: the presentationTimeOffset.
	Origin int64
	// AvailabilityStart is when, on the server's clock (ms since the
	// epoch), the session timeline's zero is: a dynamic MPD's
	// availabilityStartTime. A player places the live edge at its clock
	// less this, so it must be where the newest segment ends as the clock
	// runs: for LIVE, Origin moved by the producer's clock's lead on the
	// server's; for LIVE_REPLAY, the session's start.
	AvailabilityStart int64
	// TimeURI is the URL of the server's clock (an ISO 8601 time), for a
	// dynamic MPD's UTCTiming: players set their clock by it rather than
	// call a time server of their own choosing.
	TimeURI string
	// Now is when the MPD is made (publishTime).
	Now time.Time
	// DisplayTimestamp and DisplayNumber add kvs:ts and kvs:fn to every S.
	DisplayTimestamp, DisplayNumber bool
	Tracks                          []Track
	// InitURI and MediaURI make a track's URLs: fmt formats with the track
	// number, MediaURI holding $Number$ for the segment's sequence number.
	InitURI, MediaURI string
	// Periods, when set, split Segments where the codec data change;
	// none is one period of Tracks with InitURI.
	Periods []Period
}

// Period is a run of a manifest's segments with the same codec data.
type Period struct {
	// First is the index in Segments of the period's first segment.
	First int
	// Changed tells that the codec data change at First, so that the
	// period begins there; otherwise it began before the window and
	// First is the window's first segment.
	Changed bool
	// Tracks and InitURI are as Manifest's, for this period.
	Tracks  []Track
	InitURI string
}

// Track is one track of a manifest.
type Track struct {
	ID uint32
	// Video tells a video track from an audio one.
	Video         bool
	Bandwidth     int64
	Codecs        string
	Width, Height int
}

// kvsNamespace is the namespace of the kvs:ts and kvs:fn attributes.
const kvsNamespace = "https://kinesisvideo.amazonaws.com/dash"

// minUpdate is how often a player refreshes a live MPD: the API
// recommends one second.
const minUpdate = time.Second

// delaySegments is a dynamic MPD's suggestedPresentationDelay in segments
// of the longest duration the window shows: a player three segments behind
// the newest has the next one in hand before it needs it, as HLS's rule of
// three target durations from the end (RFC 8216 §6.3.3) gives.
const delaySegments = 3

// utcTimingScheme is UTCTiming's scheme: an HTTP GET answering an ISO 8601
// time, which dash.js and shaka-player both read.
const utcTimingScheme = "urn:mpeg:dash:utc:http-iso:2014"

type mpdXML struct {
	XMLName   xml.Name    `xml:"MPD"`
	XMLNS     string      `xml:"xmlns,attr"`
	KVS       string      `xml:"xmlns:kvs,attr"`
	Profiles  string      `xml:"profiles,attr"`
	Type      string      `xml:"type,attr"`
	MinBuffer string      `xml:"minBufferTime,attr"`
	Duration  string      `xml:"mediaPresentationDuration,attr,omitempty"`
	AST       string      `xml:"availabilityStartTime,attr,omitempty"`
	Publish   string      `xml:"publishTime,attr,omitempty"`
	MinUpdate string      `xml:"minimumUpdatePeriod,attr,omitempty"`
	TSBD      string      `xml:"timeShiftBufferDepth,attr,omitempty"`
	Delay     string      `xml:"suggestedPresentationDelay,attr,omitempty"`
	Periods   []periodXML `xml:"Period"`
	// UTCTiming follows the periods, as the MPD schema orders them.
	UTCTiming *utcTimingXML `xml:"UTCTiming"`
}

type utcTimingXML struct {
	Scheme string `xml:"schemeIdUri,attr"`
	Value  string `xml:"value,attr"`
}

type periodXML struct {
	ID       string   `xml:"id,attr"`
	Start    string   `xml:"start,attr"`
	Duration string   `xml:"duration,attr,omitempty"`
	Sets     []setXML `xml:"AdaptationSet"`
}

type setXML struct {
	ID      int    `xml:"id,attr"`
	Content string `xml:"contentType,attr"`
	Mime    string `xml:"mimeType,attr"`
	Aligned bool   `xml:"segmentAlignment,attr"`
	Rep     struct {
		ID        string  `xml:"id,attr"`
		Bandwidth int64   `xml:"bandwidth,attr"`
		Codecs    string  `xml:"codecs,attr,omitempty"`
		Width     int     `xml:"width,attr,omitempty"`
		Height    int     `xml:"height,attr,omitempty"`
		List      listXML `xml:"SegmentTemplate"`
	} `xml:"Representation"`
}

type listXML struct {
	Timescale   int    `xml:"timescale,attr"`
	Offset      int64  `xml:"presentationTimeOffset,attr"`
	StartNumber int64  `xml:"startNumber,attr"`
	Init        string `xml:"initialization,attr"`
	Media       string `xml:"media,attr"`
	Timeline    []sXML `xml:"SegmentTimeline>S"`
}

type sXML struct {
	T  int64  `xml:"t,attr"`
	D  int64  `xml:"d,attr"`
	TS string `xml:"kvs:ts,attr,omitempty"`
	FN string `xml:"kvs:fn,attr,omitempty"`
}

// seconds writes an xs:duration of ms.
func seconds(ms int64) string { return fmt.Sprintf("PT%d.%03dS", ms/1000, ms%1000) }

// WriteTo writes the MPD.
func (m *Manifest) WriteTo(w io.Writer) (int64, error) {
	var x mpdXML
	x.XMLNS, x.KVS = "urn:mpeg:dash:schema:mpd:2011", kvsNamespace
	x.Profiles = "urn:mpeg:dash:profile:isoff-live:2011"
	x.MinBuffer = "PT2S"
	x.Type = "static"
	var total, longest int64
	for _, s := range m.Segments {
		total += s.DurationMillis
		longest = max(longest, s.DurationMillis)
	}
	if m.Dynamic {
		x.Type = "dynamic"
		x.AST = time.UnixMilli(m.AvailabilityStart).UTC().Format(time.RFC3339Nano)
		x.Publish = m.Now.UTC().Format(time.RFC3339Nano)
		x.MinUpdate = seconds(minUpdate.Milliseconds())
		// The time-shift buffer is the window: a player seeks in it and
		// no further back, where the segments have left the MPD.
		x.TSBD = seconds(max(total, minUpdate.Milliseconds()))
		x.Delay = seconds(min(delaySegments*longest, total))
		if m.TimeURI != "" {
			x.UTCTiming = &utcTimingXML{Scheme: utcTimingScheme, Value: m.TimeURI}
		}
	} else {
		x.Duration = seconds(total)
	}
	periods := m.Periods
	if len(periods) == 0 {
		periods = []Period{{Tracks: m.Tracks, InitURI: m.InitURI}}
	}
	for i, p := range periods {
		end := len(m.Segments)
		if i+1 < len(periods) {
			end = periods[i+1].First
		}
		x.Periods = append(x.Periods, m.period(p, m.Segments[p.First:end], i+1 == len(periods)))
	}
	b, err := xml.MarshalIndent(&x, "", " ")
	if err != nil {
		return 0, err
	}
	n, err := io.WriteString(w, xml.Header+string(b)+"\n")
	return int64(n), err
}

// period writes one period of segs. A period that begins where the codec
// data change starts at its first segment's time and is named by that
// segment's sequence number, the same at every refresh of a live MPD; the
// one before the window's first change began earlier and starts at the
// session timeline's zero. Either way a segment's presentation time is
// its media time less Origin.
func (m *Manifest) period(p Period, segs []Segment, last bool) periodXML {
	var start int64
	id := "0"
	if p.Changed && len(segs) > 0 {
		start = segs[0].ProducerMillis - m.Origin
		id = fmt.Sprint(segs[0].Seq)
	}
	px := periodXML{ID: id, Start: seconds(start)}
	if !m.Dynamic || !last {
		// A player that plays one period only (ffmpeg's picks the
		// longest) needs the lengths to choose.
		var d int64
		for _, s := range segs {
			d += s.DurationMillis
		}
		px.Duration = seconds(d)
	}
	for _, tr := range p.Tracks {
		set := setXML{ID: int(tr.ID), Content: "audio", Mime: "audio/mp4", Aligned: true}
		if tr.Video {
			set.Content, set.Mime = "video", "video/mp4"
		}
		rep := &set.Rep
		rep.ID, rep.Bandwidth, rep.Codecs = fmt.Sprint(tr.ID), max(tr.Bandwidth, 1), tr.Codecs
		rep.Width, rep.Height = tr.Width, tr.Height
		rep.List = m.segmentList(tr.ID, p.InitURI, m.Origin+start, segs)
		px.Sets = append(px.Sets, set)
	}
	return px
}

// segmentList is the SegmentTemplate of track id over segs, whose times
// count from offset.
func (m *Manifest) segmentList(id uint32, initURI string, offset int64, segs []Segment) listXML {
	var l listXML
	l.Timescale, l.Offset = 1000, offset
	l.Init, l.Media = fmt.Sprintf(initURI, id), fmt.Sprintf(m.MediaURI, id)
	if len(segs) > 0 {
		l.StartNumber = segs[0].Seq
	}
	for _, s := range segs {
		e := sXML{T: s.ProducerMillis, D: s.DurationMillis}
		if m.DisplayTimestamp {
			e.TS = fmt.Sprintf("%d.%03d", s.Start/1000, s.Start%1000)
		}
		if m.DisplayNumber {
			e.FN = s.Number
		}
		l.Timeline = append(l.Timeline, e)
	}
	return l
}
