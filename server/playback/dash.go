package playback

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// Manifest describes a DASH MPD of one period and one representation, audio
// and video muxed, with an explicit SegmentList: fragment numbers are not
// consecutive, so a $Number$ template cannot name them.
type Manifest struct {
	Window
	// Dynamic makes a live MPD (LIVE, LIVE_REPLAY) refreshed every
	// MinUpdate; otherwise it is static (ON_DEMAND).
	Dynamic bool
	// Origin is the session timeline's zero on the media time line, ms
	// since the epoch: the presentationTimeOffset, and for a dynamic MPD
	// its availabilityStartTime.
	Origin int64
	// Now is when the MPD is made (publishTime).
	Now time.Time
	// DisplayTimestamp and DisplayNumber add kvs:ts and kvs:fn to every S.
	DisplayTimestamp, DisplayNumber bool
	Bandwidth                       int64
	Codecs                          string
	Width, Height                   int
}

// kvsNamespace is the namespace of the kvs:ts and kvs:fn attributes.
const kvsNamespace = "https://kinesisvideo.amazonaws.com/dash"

// minUpdate is how often a player refreshes a live MPD: the API
// recommends one second.
const minUpdate = time.Second

type mpdXML struct {
	XMLName   xml.Name `xml:"MPD"`
	XMLNS     string   `xml:"xmlns,attr"`
	KVS       string   `xml:"xmlns:kvs,attr"`
	Profiles  string   `xml:"profiles,attr"`
	Type      string   `xml:"type,attr"`
	MinBuffer string   `xml:"minBufferTime,attr"`
	Duration  string   `xml:"mediaPresentationDuration,attr,omitempty"`
	AST       string   `xml:"availabilityStartTime,attr,omitempty"`
	Publish   string   `xml:"publishTime,attr,omitempty"`
	MinUpdate string   `xml:"minimumUpdatePeriod,attr,omitempty"`
	Period    struct {
		ID    string `xml:"id,attr"`
		Start string `xml:"start,attr"`
		Set   struct {
			Mime    string `xml:"mimeType,attr"`
			Aligned bool   `xml:"segmentAlignment,attr"`
			Rep     struct {
				ID        string  `xml:"id,attr"`
				Bandwidth int64   `xml:"bandwidth,attr"`
				Codecs    string  `xml:"codecs,attr,omitempty"`
				Width     int     `xml:"width,attr,omitempty"`
				Height    int     `xml:"height,attr,omitempty"`
				List      listXML `xml:"SegmentList"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
}

type listXML struct {
	Timescale   int    `xml:"timescale,attr"`
	Offset      int64  `xml:"presentationTimeOffset,attr"`
	StartNumber int64  `xml:"startNumber,attr"`
	Init        urlXML `xml:"Initialization"`
	Timeline    []sXML `xml:"SegmentTimeline>S"`
	URLs        []struct {
		Media string `xml:"media,attr"`
	} `xml:"SegmentURL"`
}

type urlXML struct {
	Source string `xml:"sourceURL,attr"`
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
	var total int64
	for _, s := range m.Segments {
		total += s.Duration
	}
	if m.Dynamic {
		x.Type = "dynamic"
		x.AST = time.UnixMilli(m.Origin).UTC().Format(time.RFC3339Nano)
		x.Publish = m.Now.UTC().Format(time.RFC3339Nano)
		x.MinUpdate = seconds(minUpdate.Milliseconds())
	} else {
		x.Duration = seconds(total)
	}
	x.Period.ID, x.Period.Start = "0", "PT0S"
	x.Period.Set.Mime, x.Period.Set.Aligned = "video/mp4", true
	rep := &x.Period.Set.Rep
	rep.ID, rep.Bandwidth, rep.Codecs = "1", max(m.Bandwidth, 1), m.Codecs
	rep.Width, rep.Height = m.Width, m.Height
	l := &rep.List
	l.Timescale, l.Offset = 1000, m.Origin
	if len(m.Segments) > 0 {
		l.StartNumber = m.Segments[0].Seq
		l.Init.Source = m.Segments[0].InitURI
	}
	for _, s := range m.Segments {
		e := sXML{T: s.Time, D: s.Duration}
		if m.DisplayTimestamp {
			e.TS = fmt.Sprintf("%d.%03d", s.Start/1000, s.Start%1000)
		}
		if m.DisplayNumber {
			e.FN = s.Number
		}
		l.Timeline = append(l.Timeline, e)
		l.URLs = append(l.URLs, struct {
			Media string `xml:"media,attr"`
		}{s.URI})
	}
	b, err := xml.MarshalIndent(&x, "", " ")
	if err != nil {
		return 0, err
	}
	n, err := io.WriteString(w, xml.Header+string(b)+"\n")
	return int64(n), err
}
