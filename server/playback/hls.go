package playback

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// MediaPlaylist describes an HLS media playlist.
type MediaPlaylist struct {
	Window
	// FMP4 writes EXT-X-MAP tags (and needs version 7); otherwise the
	// segments are MPEG-TS.
	FMP4 bool
	// VOD adds EXT-X-PLAYLIST-TYPE:VOD (ON_DEMAND).
	VOD bool
	// ProgramDateTime writes EXT-X-PROGRAM-DATE-TIME before every segment
	// (DisplayFragmentTimestamp ALWAYS), from Segment.Start.
	ProgramDateTime bool
	// MediaSequence is the first segment's sequence number when the window
	// is empty.
	MediaSequence int64
	// TargetDuration is the least EXT-X-TARGETDURATION, in seconds: a live
	// playlist keeps one value as it slides.
	TargetDuration int
}

// targetDuration is the least integer no smaller than any EXTINF rounded
// to the nearest integer, as RFC 8216 §4.3.3.1 requires.
func (p *MediaPlaylist) targetDuration() int {
	t := max(p.TargetDuration, 1)
	for _, s := range p.Segments {
		t = max(t, int(math.Round(float64(s.DurationMillis)/1000)))
	}
	return t
}

// WriteTo writes the playlist.
func (p *MediaPlaylist) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	version := 3 // decimal EXTINF
	if p.FMP4 {
		version = 7 // EXT-X-MAP in a playlist without EXT-X-I-FRAMES-ONLY: 6; fMP4 segments: 7
	}
	seq := p.MediaSequence
	if len(p.Segments) > 0 {
		seq = p.Segments[0].Seq
	}
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-DISCONTINUITY-SEQUENCE:%d\n",
		version, p.targetDuration(), seq, p.Discontinuities)
	if p.VOD {
		b.WriteString("#EXT-X-PLAYLIST-TYPE:VOD\n")
	}
	initURI := ""
	for i, s := range p.Segments {
		if i > 0 && s.Discontinuity {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		// A map is repeated after a discontinuity, where it may change.
		if p.FMP4 && (s.InitURI != initURI || i > 0 && s.Discontinuity) {
			fmt.Fprintf(&b, "#EXT-X-MAP:URI=%q\n", s.InitURI)
			initURI = s.InitURI
		}
		if p.ProgramDateTime {
			fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", time.UnixMilli(s.Start).UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		fmt.Fprintf(&b, "#EXTINF:%.3f,\n%s\n", float64(s.DurationMillis)/1000, s.URI)
	}
	if p.Ended {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// MasterPlaylist describes an HLS master (multivariant) playlist of one
// variant: the session's stream, audio and video muxed.
type MasterPlaylist struct {
	// MediaURI is the media playlist's URL, and AudioURI that of the audio
	// track's when it has its own (an EXT-X-MEDIA rendition); "" when the
	// media playlist carries every track.
	MediaURI, AudioURI string
	// Bandwidth is the peak bit rate in bits/s; Codecs the RFC 6381 codec
	// list, and Width and Height the video's size, when known.
	Bandwidth     int64
	Codecs        string
	Width, Height int
	FMP4          bool
}

// WriteTo writes the playlist.
func (p *MasterPlaylist) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	version := 3
	if p.FMP4 {
		version = 7
	}
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:%d\n", version)
	if p.AudioURI != "" {
		fmt.Fprintf(&b, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=%q,NAME=%q,DEFAULT=YES,AUTOSELECT=YES,URI=%q\n", audioGroup, audioGroup, p.AudioURI)
	}
	fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d", max(p.Bandwidth, 1))
	if p.AudioURI != "" {
		fmt.Fprintf(&b, ",AUDIO=%q", audioGroup)
	}
	if p.Codecs != "" {
		fmt.Fprintf(&b, ",CODECS=%q", p.Codecs)
	}
	if p.Width > 0 && p.Height > 0 {
		fmt.Fprintf(&b, ",RESOLUTION=%dx%d", p.Width, p.Height)
	}
	fmt.Fprintf(&b, "\n%s\n", p.MediaURI)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// audioGroup is the GROUP-ID of the audio rendition.
const audioGroup = "audio"

// PeakBandwidth is the highest bit rate of one segment of segs, in bits/s.
func PeakBandwidth(segs []Segment) int64 {
	var peak int64
	for _, s := range segs {
		if s.DurationMillis > 0 {
			peak = max(peak, s.Size*8*1000/s.DurationMillis)
		}
	}
	return peak
}
