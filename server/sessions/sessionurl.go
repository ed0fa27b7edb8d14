package sessions

import (
	"context"
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
	// liveRecent is how recent a fragment a LIVE session needs: without
	// one in the last 30 seconds the call is ResourceNotFound.
	liveRecent = 30 * time.Second
)

// sessionRequest is the common body of the two session calls. Each
// protocol's input has the other's fields too, so that they are refused
// rather than ignored.
type sessionRequest struct {
	StreamName, StreamARN    *string
	PlaybackMode             *kvs.PlaybackMode
	HLSFragmentSelector      *sessionSelector
	DASHFragmentSelector     *sessionSelector
	ContainerFormat          *kvs.ContainerFormat
	DiscontinuityMode        *kvs.DiscontinuityMode
	DisplayFragmentTimestamp *kvs.DisplayMode
	DisplayFragmentNumber    *kvs.DisplayMode
	Expires                  *int64
	// MaxMediaPlaylistFragmentResults (HLS) or MaxManifestFragmentResults
	// (DASH).
	MaxMediaPlaylistFragmentResults *int64
	MaxManifestFragmentResults      *int64
}

type sessionSelector struct {
	FragmentSelectorType *kvs.Selector
	TimestampRange       *struct {
		StartTimestamp, EndTimestamp *kvs.Millis
	}
}

// hlsURLIn is GetHLSStreamingSessionURL's input.
type hlsURLIn struct{ sessionRequest }

// Validate checks the fields as an HLS session's.
func (in *hlsURLIn) Validate() error {
	_, _, err := in.settings(kvs.HLS)
	return err
}

// hlsURLOut is GetHLSStreamingSessionURL's answer.
type hlsURLOut struct {
	HLSStreamingSessionURL string
}

// dashURLIn is GetDASHStreamingSessionURL's input.
type dashURLIn struct{ sessionRequest }

// Validate checks the fields as a DASH session's.
func (in *dashURLIn) Validate() error {
	_, _, err := in.settings(kvs.DASH)
	return err
}

// dashURLOut is GetDASHStreamingSessionURL's answer.
type dashURLOut struct {
	DASHStreamingSessionURL string
}

func (s *Sessions) getHLSStreamingSessionURL(ctx context.Context, in *hlsURLIn) (*hlsURLOut, error) {
	u, err := s.sessionURL(ctx, &in.sessionRequest, kvs.HLS)
	if err != nil {
		return nil, err
	}
	return &hlsURLOut{HLSStreamingSessionURL: u}, nil
}

func (s *Sessions) getDASHStreamingSessionURL(ctx context.Context, in *dashURLIn) (*dashURLOut, error) {
	u, err := s.sessionURL(ctx, &in.sessionRequest, kvs.DASH)
	if err != nil {
		return nil, err
	}
	return &dashURLOut{DASHStreamingSessionURL: u}, nil
}

// sessionURL makes the session of a checked request and returns the URL
// of its root resource, on this server as the request reached it.
func (s *Sessions) sessionURL(ctx context.Context, in *sessionRequest, proto kvs.Protocol) (string, error) {
	ss, err := s.checkSession(ctx, in, proto)
	if err != nil {
		return "", err
	}
	token := s.signer.Sign(ss)
	res := "/hls/v1/getHLSMasterPlaylist.m3u8"
	if proto == kvs.DASH {
		res = "/dash/v1/getDASHManifest.mpd"
	}
	// The operations run under the server's middleware, whose Call
	// carries the request.
	return s.d.Endpoint(httpapi.CallOf(ctx).Request) + res + "?SessionToken=" + url.QueryEscape(token), nil
}

// word is an optional word field's value, or def when it is absent.
func word[T interface {
	~string
	Check(field string) error
}](field string, v *T, def T) (T, error) {
	if v == nil {
		return def, nil
	}
	return *v, (*v).Check(field)
}

// fieldNames are the names of a protocol's fragment selector and result
// cap.
func fieldNames(proto kvs.Protocol) (selector, maxResults string) {
	if proto == kvs.DASH {
		return "DASHFragmentSelector", "MaxManifestFragmentResults"
	}
	return "HLSFragmentSelector", "MaxMediaPlaylistFragmentResults"
}

// settings checks the request's fields as the model constrains them, one
// by one, and returns the session they make (without its stream, times
// and fragments) and how long it lasts.
func (in *sessionRequest) settings(proto kvs.Protocol) (*playback.Session, time.Duration, error) {
	ss := &playback.Session{Protocol: proto}
	var err error
	if ss.Mode, err = word("PlaybackMode", in.PlaybackMode, kvs.Live); err != nil {
		return nil, 0, err
	}
	selName, maxName := fieldNames(proto)
	sel, maxResults := in.HLSFragmentSelector, in.MaxMediaPlaylistFragmentResults
	if proto == kvs.DASH {
		sel, maxResults = in.DASHFragmentSelector, in.MaxManifestFragmentResults
		if in.HLSFragmentSelector != nil || in.ContainerFormat != nil || in.DiscontinuityMode != nil || in.MaxMediaPlaylistFragmentResults != nil {
			return nil, 0, httpapi.InvalidArg("HLS fields are not DASH's.")
		}
		if ss.DisplayNumber, err = word("DisplayFragmentNumber", in.DisplayFragmentNumber, kvs.DisplayNever); err != nil {
			return nil, 0, err
		}
	} else if in.DASHFragmentSelector != nil || in.DisplayFragmentNumber != nil || in.MaxManifestFragmentResults != nil {
		return nil, 0, httpapi.InvalidArg("DASH fields are not HLS's.")
	}
	if err := checkSelector(ss, sel, selName); err != nil {
		return nil, 0, err
	}
	if proto == kvs.HLS {
		if ss.Container, err = word("ContainerFormat", in.ContainerFormat, kvs.FragmentedMP4); err != nil {
			return nil, 0, err
		}
		def := kvs.DiscontinuityAlways
		if ss.Selector == kvs.ProducerTimestamp {
			def = kvs.DiscontinuityNever
		}
		if ss.Discontinuity, err = word("DiscontinuityMode", in.DiscontinuityMode, def); err != nil {
			return nil, 0, err
		}
	}
	if ss.DisplayTimestamp, err = word("DisplayFragmentTimestamp", in.DisplayFragmentTimestamp, kvs.DisplayNever); err != nil {
		return nil, 0, err
	}
	expires := int64(defaultSessionExpires)
	if in.Expires != nil {
		if *in.Expires < minSessionExpires || *in.Expires > maxSessionExpires {
			return nil, 0, httpapi.InvalidArg("Expires must be between %d and %d seconds.", minSessionExpires, maxSessionExpires)
		}
		expires = *in.Expires
	}
	ss.MaxResults = defaultLiveResults
	if ss.Mode == kvs.OnDemand {
		ss.MaxResults = defaultOnDemandResult
	}
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > maxSessionResults {
			return nil, 0, httpapi.InvalidArg("%s must be between 1 and %d.", maxName, maxSessionResults)
		}
		ss.MaxResults = int(*maxResults)
	}
	return ss, time.Duration(expires) * time.Second, nil
}

// checkSelector reads the fragment selector: optional for LIVE, where it
// may not carry a range; required with a range otherwise.
func checkSelector(ss *playback.Session, sel *sessionSelector, name string) error {
	ss.Selector = kvs.ServerTimestamp
	if sel == nil {
		if ss.Mode != kvs.Live {
			return httpapi.InvalidArg("%s is required when PlaybackMode is %s.", name, ss.Mode)
		}
		return nil
	}
	var err error
	if ss.Selector, err = word(name+".FragmentSelectorType", sel.FragmentSelectorType, kvs.ServerTimestamp); err != nil {
		return err
	}
	tr := sel.TimestampRange
	if ss.Mode == kvs.Live {
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
		if ss.Mode == kvs.OnDemand {
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
	}
	return nil
}

// checkSession makes the session of a request whose fields Validate
// checked: the stream, what needs the clock, the rate, and the media.
func (s *Sessions) checkSession(ctx context.Context, in *sessionRequest, proto kvs.Protocol) (*playback.Session, error) {
	st, err := s.d.Streams.Resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return nil, err
	}
	ss, expires, err := in.settings(proto)
	if err != nil {
		return nil, err
	}
	now := s.d.Now()
	if ss.HasEnd && ss.Selector == kvs.ServerTimestamp && ss.End > now.UnixMilli() {
		selName, _ := fieldNames(proto)
		return nil, httpapi.InvalidArg("%s.TimestampRange.EndTimestamp must be in the past for SERVER_TIMESTAMP.", selName)
	}
	ss.ID, ss.StreamARN, ss.Stream, ss.Created = playback.NewID(), st.ARN, st.Name, now.UnixMilli()
	ss.Expires = now.Add(expires).UnixMilli()
	if !s.rate.Allow(st.Name) {
		return nil, httpapi.Errorf(kvs.ClientLimitExceeded, "Sessions are limited to %d requests per second per stream.", CreateTPSPerStream)
	}
	if st.RetentionHours == 0 {
		return nil, httpapi.Errorf(kvs.NoDataRetention, "The stream %s has no data retention.", st.Name)
	}
	return ss, s.checkSessionMedia(ctx, st, ss, now)
}

// checkSessionMedia finds the session's first fragments and checks that
// the stream has media for it, of codecs the protocol carries. A LIVE
// session numbers its segments from the oldest fragment its first
// playlist shows (its Start).
func (s *Sessions) checkSessionMedia(ctx context.Context, st archive.Stream, ss *playback.Session, now time.Time) error {
	var first kvs.Fragment
	var shown []kvs.Fragment
	if ss.Mode == kvs.Live {
		frags, err := s.d.Store.List(ctx, st.Name, kvs.ServerTimestamp, now.Add(-liveRecent).UnixMilli(), now.Add(time.Hour).UnixMilli())
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
	x, err := s.d.Store.Index(ctx, st.Name, first)
	if err != nil {
		return err
	}
	return playbackCodecs(x.Header, ss.Protocol, first.Number)
}
