package sessions

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/playback"
)

// Content types of the session resources.
const (
	typeM3U8 = "application/vnd.apple.mpegurl"
	typeMPD  = "application/dash+xml"
)

// playlistTarget is the least EXT-X-TARGETDURATION of a session's
// playlists, in seconds: KVS fragments are about 2 s (the producer SDK's
// default key frame interval).
const playlistTarget = 2

func (s *Sessions) sendMaster(ctx context.Context, w http.ResponseWriter, ss *playback.Session, now time.Time, uri func(res, number string) string) error {
	win, all, from, err := s.sessionWindow(ctx, ss, now, uri)
	if err != nil {
		return err
	}
	frags := all[from:]
	p := &playback.MasterPlaylist{MediaURI: uri("getHLSMediaPlaylist.m3u8", ""), Bandwidth: playback.PeakBandwidth(win.Segments), FMP4: ss.Container != kvs.MPEGTS}
	if x := s.windowIndex(ctx, ss, frags); x != nil {
		h := x.Header
		p.Width, p.Height = int(h.Tracks[0].PixelWidth), int(h.Tracks[0].PixelHeight)
		if p.FMP4 && len(h.Tracks) == 2 {
			// As KVS does: a media playlist per track, the audio one an
			// alternative rendition of the video variant.
			p.AudioURI = p.MediaURI + "&TrackNumber=2"
			p.MediaURI += "&TrackNumber=1"
		}
	}
	w.Header().Set("Content-Type", typeM3U8)
	_, err = p.WriteTo(w)
	return ignoreWriteErr(err)
}

func (s *Sessions) sendMediaPlaylist(ctx context.Context, w http.ResponseWriter, ss *playback.Session, now time.Time, uri func(res, number string) string) error {
	win, all, from, err := s.sessionWindow(ctx, ss, now, uri)
	if err != nil {
		return err
	}
	if err := s.markCodecChanges(ctx, ss, &win, all, from, uri); err != nil {
		return err
	}
	p := &playback.MediaPlaylist{Window: win, FMP4: ss.Container != kvs.MPEGTS, VOD: ss.Mode == kvs.OnDemand,
		ProgramDateTime: ss.DisplayTimestamp == kvs.DisplayAlways, TargetDuration: max(ss.Target, playlistTarget)}
	w.Header().Set("Content-Type", typeM3U8)
	w.Header().Set("Cache-Control", "no-cache")
	_, err = p.WriteTo(w)
	return ignoreWriteErr(err)
}

func (s *Sessions) sendManifest(ctx context.Context, w http.ResponseWriter, ss *playback.Session, now time.Time, uri func(res, number string) string, timeURI string) error {
	win, all, from, err := s.sessionWindow(ctx, ss, now, uri)
	if err != nil {
		return err
	}
	frags := all[from:]
	m := &playback.Manifest{Window: win, Dynamic: ss.Mode != kvs.OnDemand, Now: now,
		AvailabilityStart: win.OriginClock, TimeURI: timeURI,
		MediaURI:         uri("getMP4MediaFragment.mp4", "$Number$") + "&TrackNumber=%d",
		DisplayTimestamp: ss.DisplayTimestamp == kvs.DisplayAlways, DisplayNumber: ss.DisplayNumber == kvs.DisplayAlways,
	}
	if x := s.windowIndex(ctx, ss, frags); x != nil && win.Ended {
		// The presentation lasts until its last sample of any track
		// ends: the stored length may stop at the video's end.
		last := &m.Segments[len(m.Segments)-1]
		last.DurationMillis = max(last.DurationMillis, fragmentEndMillis(x)-last.ProducerMillis)
	}
	if len(frags) > 0 {
		changed, idx, err := s.codecChanges(ctx, ss, all, from)
		if err != nil {
			return err
		}
		for k, seg := range win.Segments {
			if k > 0 && !changed[k] {
				continue
			}
			// A period's init segment carries the codec data of its first
			// fragment, named by its sequence number as DASH names
			// segments.
			p := playback.Period{First: k, Changed: changed[k], InitURI: uri("getMP4InitFragment.mp4", strconv.FormatInt(seg.Seq, 10)) + "&TrackNumber=%d"}
			if h := idx[k].Header; h != nil {
				for _, t := range h.Tracks {
					tr := playback.Track{ID: uint32(t.Number), Video: t.Type == mkv.TrackTypeVideo,
						Width: int(t.PixelWidth), Height: int(t.PixelHeight), Bandwidth: playback.PeakBandwidth(win.Segments)}
					// A codec the segments cannot carry fails them; the
					// manifest is served all the same, without @codecs.
					if ct, err := codec.ParseTrack(t.CodecID, t.CodecPrivate, codec.Hint{SamplingFrequency: t.SamplingFrequency, Channels: t.Channels}); err == nil {
						tr.Codecs = playback.Codecs(ct)
					}
					p.Tracks = append(p.Tracks, tr)
				}
			}
			m.Periods = append(m.Periods, p)
		}
	}
	// The timeline's zero is the session's first fragment: a dynamic
	// MPD's must not move as the window slides.
	m.Origin = win.Origin
	w.Header().Set("Content-Type", typeMPD)
	w.Header().Set("Cache-Control", "no-cache")
	_, err = m.WriteTo(w)
	return ignoreWriteErr(err)
}

// windowIndex reads the newest fragment's index, for the tracks (the
// playlists' resolution, the manifest's adaptation sets) and the end of
// the media; nil when it cannot be had.
func (s *Sessions) windowIndex(ctx context.Context, ss *playback.Session, frags []kvs.Fragment) *fragindex.Index {
	if len(frags) == 0 {
		return nil
	}
	f := frags[len(frags)-1]
	x := s.d.Reader.CachedIndex(ss.StreamARN, f.Number)
	if x == nil {
		var err error
		if x, err = s.d.Store.Index(ctx, ss.Stream, f); err != nil {
			return nil
		}
		s.d.Reader.KeepIndex(ss.StreamARN, f.Number, x)
	}
	if x.Header == nil || len(x.Header.Tracks) == 0 {
		return nil
	}
	return x
}

// fragmentEndMillis is when the last sample of a fragment ends, in ms on
// the media time line: each track's last sample lasts its BlockDuration,
// or as long as the gap before it.
func fragmentEndMillis(x *fragindex.Index) int64 {
	_, base, scale := fragmentTimeline(x)
	var end int64
	last := map[uint64]int64{}
	for _, smp := range x.Samples {
		t := smp.Time * scale
		d := int64(smp.Duration) * scale
		if smp.Flags&fragindex.HasDuration == 0 {
			if p, ok := last[smp.Track]; ok {
				d = t - p
			}
		}
		last[smp.Track] = t
		end = max(end, base+t+d)
	}
	return (end + 999_999) / 1_000_000
}

// ignoreWriteErr drops a write error: the client went away, and nothing
// can be answered to it.
func ignoreWriteErr(error) error { return nil }
