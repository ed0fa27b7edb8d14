package server

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/playback"
)

// Session limits of the API model (GetHLSStreamingSessionURL and
// GetDASHStreamingSessionURL).
const (
	minSessionExpires     = 300   // s: Expires' minimum
	maxSessionExpires     = 43200 // s: Expires' maximum, 12 hours
	defaultSessionExpires = 300
	maxSessionResults     = 5000 // MaxMediaPlaylistFragmentResults, MaxManifestFragmentResults
	defaultLiveResults    = 5    // LIVE and LIVE_REPLAY
	defaultOnDemandResult = 1000 // ON_DEMAND
	// maxSessionRange is the longest TimestampRange: 24 hours.
	maxSessionRange = 24 * time.Hour
	// sessionTPSPerStream is KVS's limit on session creation: since March
	// 2021 there is no limit on sessions per stream (it was 10), and
	// GetHLSStreamingSessionURL and GetDASHStreamingSessionURL take 25
	// requests per second per stream.
	sessionTPSPerStream = 25
	// liveRecent is how recent a fragment a LIVE session needs: without
	// one in the last 30 seconds the call is ResourceNotFound.
	liveRecent = 30 * time.Second
)

// sessionRequest is the common body of the two session calls; the protocol
// specific names are copied into it.
type sessionRequest struct {
	StreamName, StreamARN    *string
	PlaybackMode             *string
	HLSFragmentSelector      *sessionSelector
	DASHFragmentSelector     *sessionSelector
	ContainerFormat          *string
	DiscontinuityMode        *string
	DisplayFragmentTimestamp *string
	DisplayFragmentNumber    *string
	Expires                  *int64
	// MaxMediaPlaylistFragmentResults (HLS) or MaxManifestFragmentResults
	// (DASH).
	MaxMediaPlaylistFragmentResults *int64
	MaxManifestFragmentResults      *int64
}

type sessionSelector struct {
	FragmentSelectorType *string
	TimestampRange       *struct {
		StartTimestamp, EndTimestamp *kvs.Millis
	}
}

// oneOf checks an optional enum field and returns its value or def.
func oneOf(field string, v *string, def string, allowed ...string) (string, error) {
	if v == nil {
		return def, nil
	}
	for _, a := range allowed {
		if *v == a {
			return a, nil
		}
	}
	return "", httpapi.InvalidArg("%s must be one of %v.", field, allowed)
}

func (s *Server) getHLSStreamingSessionURL(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	return s.sessionURL(w, r, "HLS")
}

func (s *Server) getDASHStreamingSessionURL(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	return s.sessionURL(w, r, "DASH")
}

// sessionURL checks a session request field by field, as the model
// constrains it, and answers with the URL of the session's root resource.
func (s *Server) sessionURL(w http.ResponseWriter, r *http.Request, proto string) error {
	var in sessionRequest
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	ss, err := s.checkSession(r.Context(), &in, proto)
	if err != nil {
		return err
	}
	token := s.sessions.Sign(ss)
	res := "/hls/v1/getHLSMasterPlaylist.m3u8"
	if proto == "DASH" {
		res = "/dash/v1/getDASHManifest.mpd"
	}
	u := s.baseURL(r) + res + "?SessionToken=" + url.QueryEscape(token)
	if proto == "DASH" {
		httpapi.WriteJSON(w, map[string]string{"DASHStreamingSessionURL": u})
	} else {
		httpapi.WriteJSON(w, map[string]string{"HLSStreamingSessionURL": u})
	}
	return nil
}

// checkSession validates a request and makes its session.
func (s *Server) checkSession(ctx context.Context, in *sessionRequest, proto string) (*playback.Session, error) {
	st, err := s.streams.Resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	ss := &playback.Session{ID: playback.NewID(), Protocol: proto, StreamARN: st.ARN, Stream: st.Name, Created: now.UnixMilli()}
	if ss.Mode, err = oneOf("PlaybackMode", in.PlaybackMode, "LIVE", "LIVE", "LIVE_REPLAY", "ON_DEMAND"); err != nil {
		return nil, err
	}
	sel, selName := in.HLSFragmentSelector, "HLSFragmentSelector"
	maxResults, maxName := in.MaxMediaPlaylistFragmentResults, "MaxMediaPlaylistFragmentResults"
	if proto == "DASH" {
		sel, selName = in.DASHFragmentSelector, "DASHFragmentSelector"
		maxResults, maxName = in.MaxManifestFragmentResults, "MaxManifestFragmentResults"
		if in.HLSFragmentSelector != nil || in.ContainerFormat != nil || in.DiscontinuityMode != nil || in.MaxMediaPlaylistFragmentResults != nil {
			return nil, httpapi.InvalidArg("HLS fields are not DASH's.")
		}
		if ss.DisplayNumber, err = oneOf("DisplayFragmentNumber", in.DisplayFragmentNumber, "NEVER", "ALWAYS", "NEVER"); err != nil {
			return nil, err
		}
	} else if in.DASHFragmentSelector != nil || in.DisplayFragmentNumber != nil || in.MaxManifestFragmentResults != nil {
		return nil, httpapi.InvalidArg("DASH fields are not HLS's.")
	}
	if err := s.checkSelector(ss, sel, selName, now); err != nil {
		return nil, err
	}
	if proto == "HLS" {
		if ss.Container, err = oneOf("ContainerFormat", in.ContainerFormat, "FRAGMENTED_MP4", "FRAGMENTED_MP4", "MPEG_TS"); err != nil {
			return nil, err
		}
		def := "ALWAYS"
		if ss.Selector == "PRODUCER_TIMESTAMP" {
			def = "NEVER"
		}
		if ss.Discontinuity, err = oneOf("DiscontinuityMode", in.DiscontinuityMode, def, "ALWAYS", "NEVER", "ON_DISCONTINUITY"); err != nil {
			return nil, err
		}
	}
	if ss.DisplayTimestamp, err = oneOf("DisplayFragmentTimestamp", in.DisplayFragmentTimestamp, "NEVER", "ALWAYS", "NEVER"); err != nil {
		return nil, err
	}
	expires := int64(defaultSessionExpires)
	if in.Expires != nil {
		if *in.Expires < minSessionExpires || *in.Expires > maxSessionExpires {
			return nil, httpapi.InvalidArg("Expires must be between %d and %d seconds.", minSessionExpires, maxSessionExpires)
		}
		expires = *in.Expires
	}
	ss.Expires = now.Add(time.Duration(expires) * time.Second).UnixMilli()
	ss.MaxResults = defaultLiveResults
	if ss.Mode == "ON_DEMAND" {
		ss.MaxResults = defaultOnDemandResult
	}
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > maxSessionResults {
			return nil, httpapi.InvalidArg("%s must be between 1 and %d.", maxName, maxSessionResults)
		}
		ss.MaxResults = int(*maxResults)
	}
	if !s.sessRate.Allow(st.Name) {
		return nil, httpapi.Errorf(kvs.ClientLimitExceeded, "Sessions are limited to %d requests per second per stream.", sessionTPSPerStream)
	}
	if st.RetentionHours == 0 {
		return nil, httpapi.Errorf(kvs.NoDataRetention, "The stream %s has no data retention.", st.Name)
	}
	return ss, s.checkSessionMedia(ctx, st, ss, now)
}

// checkSelector reads the fragment selector: optional for LIVE, where it
// may not carry a range; required with a range otherwise.
func (s *Server) checkSelector(ss *playback.Session, sel *sessionSelector, name string, now time.Time) error {
	ss.Selector = "SERVER_TIMESTAMP"
	if sel == nil {
		if ss.Mode != "LIVE" {
			return httpapi.InvalidArg("%s is required when PlaybackMode is %s.", name, ss.Mode)
		}
		return nil
	}
	var err error
	if ss.Selector, err = oneOf(name+".FragmentSelectorType", sel.FragmentSelectorType, "SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP", "SERVER_TIMESTAMP"); err != nil {
		return err
	}
	tr := sel.TimestampRange
	if ss.Mode == "LIVE" {
		if tr != nil {
			return httpapi.InvalidArg("%s.TimestampRange must not be set when PlaybackMode is LIVE.", name)
		}
		return nil
	}
	if sel.FragmentSelectorType == nil || tr == nil {
		return httpapi.InvalidArg("%s needs FragmentSelectorType and TimestampRange when PlaybackMode is %s.", name, ss.Mode)
	}
	if tr.StartTimestamp == nil {
		return httpapi.InvalidArg("%s.TimestampRange.StartTimestamp is required.", name)
	}
	ss.Start = int64(*tr.StartTimestamp)
	if tr.EndTimestamp == nil {
		if ss.Mode == "ON_DEMAND" {
			return httpapi.InvalidArg("%s.TimestampRange.EndTimestamp is required when PlaybackMode is ON_DEMAND.", name)
		}
		return nil
	}
	ss.End, ss.HasEnd = int64(*tr.EndTimestamp), true
	switch {
	case ss.End <= ss.Start:
		return httpapi.InvalidArg("%s.TimestampRange.EndTimestamp must be later than StartTimestamp.", name)
	case ss.End-ss.Start > maxSessionRange.Milliseconds():
		return httpapi.InvalidArg("%s.TimestampRange.EndTimestamp must be within 24 hours of StartTimestamp.", name)
	case ss.Selector == "SERVER_TIMESTAMP" && ss.End > now.UnixMilli():
		return httpapi.InvalidArg("%s.TimestampRange.EndTimestamp must be in the past for SERVER_TIMESTAMP.", name)
	}
	return nil
}

// checkSessionMedia finds the session's first fragments and checks that
// the stream has media for it, of codecs the protocol carries. A LIVE
// session numbers its segments from the oldest fragment its first
// playlist shows (its Start).
func (s *Server) checkSessionMedia(ctx context.Context, st archive.Stream, ss *playback.Session, now time.Time) error {
	var first archive.Fragment
	var shown []archive.Fragment
	if ss.Mode == "LIVE" {
		frags, err := s.cfg.Store.List(ctx, st.Name, kvs.ServerTimestamp, now.Add(-liveRecent).UnixMilli(), now.Add(time.Hour).UnixMilli())
		if err != nil {
			return err
		}
		if len(frags) == 0 {
			return httpapi.Errorf(kvs.ResourceNotFound, "No fragments found in the stream for the last %s.", liveRecent)
		}
		k := max(len(frags)-ss.MaxResults, 0)
		ss.Start, ss.From, first = frags[k].ServerMillis, frags[k].Number, frags[len(frags)-1]
		shown = frags[k:]
	} else {
		frags, _, err := s.sessionFragments(ctx, ss, now, false)
		if err != nil {
			return err
		}
		if len(frags) == 0 {
			return httpapi.Errorf(kvs.ResourceNotFound, "No fragments found in the stream for the streaming request.")
		}
		first, shown = frags[0], frags
	}
	ss.Target = playlistTarget
	for _, f := range shown {
		ss.Target = max(ss.Target, int((f.DurationMillis+999)/1000))
	}
	x, err := s.cfg.Store.Index(ctx, st.Name, first)
	if err != nil {
		return err
	}
	return playbackCodecs(x.Header, ss.Protocol, first.Number)
}

// newSessionSigner keys the session tokens: from the credentials' secret
// when the server has credentials, so that servers sharing an archive and
// credentials accept each other's session URLs; else a random key, and
// session URLs last as long as the process.
func newSessionSigner(c *Credentials) (*playback.Signer, error) {
	if c != nil {
		return playback.NewSigner(c.SecretAccessKey)
	}
	return playback.NewSigner("")
}
