package server

import (
	"context"
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/playback"
)

// Content types of the session resources.
const (
	typeM3U8 = "application/vnd.apple.mpegurl"
	typeMPD  = "application/dash+xml"
)

// playlistTarget is the least EXT-X-TARGETDURATION of a session's
// playlists, in seconds: KVS fragments are about 2 s (the producer SDK's
// default key frame interval), and a live playlist should not change its
// target duration as it slides when fragments keep that length.
const playlistTarget = 2

func (s *Server) sendMaster(ctx context.Context, w http.ResponseWriter, ss *playback.Session, now time.Time, uri func(res, number string) string) error {
	win, frags, err := s.sessionWindow(ctx, ss, now, uri)
	if err != nil {
		return err
	}
	p := &playback.MasterPlaylist{MediaURI: uri("getHLSMediaPlaylist.m3u8", ""), Bandwidth: playback.PeakBandwidth(win.Segments), FMP4: ss.Container != "MPEG_TS"}
	p.Width, p.Height = s.videoSize(ctx, ss, frags)
	w.Header().Set("Content-Type", typeM3U8)
	_, err = p.WriteTo(w)
	return ignoreWriteErr(err)
}

func (s *Server) sendMediaPlaylist(ctx context.Context, w http.ResponseWriter, ss *playback.Session, now time.Time, uri func(res, number string) string) error {
	win, _, err := s.sessionWindow(ctx, ss, now, uri)
	if err != nil {
		return err
	}
	p := &playback.MediaPlaylist{Window: win, FMP4: ss.Container != "MPEG_TS", VOD: ss.Mode == "ON_DEMAND",
		ProgramDateTime: ss.DisplayTimestamp == "ALWAYS", TargetDuration: playlistTarget}
	w.Header().Set("Content-Type", typeM3U8)
	w.Header().Set("Cache-Control", "no-cache")
	_, err = p.WriteTo(w)
	return ignoreWriteErr(err)
}

func (s *Server) sendManifest(ctx context.Context, w http.ResponseWriter, ss *playback.Session, now time.Time, uri func(res, number string) string) error {
	win, frags, err := s.sessionWindow(ctx, ss, now, uri)
	if err != nil {
		return err
	}
	m := &playback.Manifest{Window: win, Dynamic: ss.Mode != "ON_DEMAND", Now: now,
		DisplayTimestamp: ss.DisplayTimestamp == "ALWAYS", DisplayNumber: ss.DisplayNumber == "ALWAYS",
		Bandwidth: playback.PeakBandwidth(win.Segments)}
	m.Width, m.Height = s.videoSize(ctx, ss, frags)
	if len(win.Segments) > 0 {
		m.Origin = win.Segments[0].Time
	}
	if ss.Mode != "ON_DEMAND" {
		// A dynamic MPD's timeline must not move as the window slides:
		// its zero is the session's first fragment.
		first, err := s.sessionFragments(ctx, ss, now)
		if err == nil && len(first) > 0 {
			m.Origin = first[0].ProducerMillis
		}
	}
	w.Header().Set("Content-Type", typeMPD)
	w.Header().Set("Cache-Control", "no-cache")
	_, err = m.WriteTo(w)
	return ignoreWriteErr(err)
}

// videoSize reads the video's size from the newest fragment's index, for
// RESOLUTION and the DASH width and height; 0, 0 when it cannot be had.
func (s *Server) videoSize(ctx context.Context, ss *playback.Session, frags []archive.Fragment) (int, int) {
	if len(frags) == 0 {
		return 0, 0
	}
	f := frags[len(frags)-1]
	x := s.idxCache.get(ss.StreamARN + "/" + f.Number)
	if x == nil {
		var err error
		if x, err = s.cfg.Store.Index(ctx, ss.Stream, f); err != nil {
			return 0, 0
		}
		s.idxCache.put(ss.StreamARN+"/"+f.Number, x)
	}
	if x.Header == nil || len(x.Header.Tracks) == 0 {
		return 0, 0
	}
	return int(x.Header.Tracks[0].PixelWidth), int(x.Header.Tracks[0].PixelHeight)
}

// ignoreWriteErr drops a write error: the client went away, and nothing
// can be answered to it.
func ignoreWriteErr(error) error { return nil }
