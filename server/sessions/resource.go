package sessions

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/playback"
)

// The resources of a session, by protocol: what a player fetches with the
// session URL's token. They are answered without SigV4: the token in the
// URL is the credential, as with KVS.
var sessionResources = map[string]map[string]string{
	"hls": {
		"getHLSMasterPlaylist.m3u8": "GetHLSMasterPlaylist",
		"getHLSMediaPlaylist.m3u8":  "GetHLSMediaPlaylist",
		"getMP4InitFragment.mp4":    "GetMP4InitFragment",
		"getMP4MediaFragment.mp4":   "GetMP4MediaFragment",
		"getTSFragment.ts":          "GetTSFragment",
	},
	"dash": {
		"getDASHManifest.mpd":     "GetDASHManifest",
		"getMP4InitFragment.mp4":  "GetMP4InitFragment",
		"getMP4MediaFragment.mp4": "GetMP4MediaFragment",
	},
}

// fragmentNumberPattern is the model's FragmentNumberString, compiled on
// first use: its {1,128} unrolls into 128 states, which every run of the
// binary would otherwise compile at start-up.
var fragmentNumberPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{1,128}$`) })

// resourceQuery is a resource request's parameters.
type resourceQuery struct {
	token  string
	number string // FragmentNumber; "" when absent
	// track is TrackNumber, the one track a DASH segment, or an HLS fMP4
	// media playlist and its segments, carry; 0 for all tracks.
	track uint32
}

// maxTrackNumber is the highest track a session carries: video is track
// 1, audio track 2.
const maxTrackNumber = 2

// parseResourceQuery checks a resource request's query: a SessionToken,
// and a FragmentNumber where the resource needs one.
func parseResourceQuery(raw string, needsNumber bool) (resourceQuery, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return resourceQuery{}, httpapi.InvalidArg("The query string cannot be parsed.")
	}
	rq := resourceQuery{token: q.Get("SessionToken"), number: q.Get("FragmentNumber")}
	if rq.token == "" {
		return rq, httpapi.Errorf(kvs.NotAuthorized, "SessionToken is required.")
	}
	if rq.number != "" && !fragmentNumberPattern().MatchString(rq.number) {
		return rq, httpapi.InvalidArg("FragmentNumber must match [0-9]{1,128}.")
	}
	if v := q.Get("TrackNumber"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n < 1 || n > maxTrackNumber {
			return rq, httpapi.InvalidArg("TrackNumber must be 1 or 2.")
		}
		rq.track = uint32(n)
	}
	if needsNumber && rq.number == "" {
		return rq, httpapi.InvalidArg("FragmentNumber is required.")
	}
	return rq, nil
}

// ResourceAPI names the operation of a session resource request, as the
// server's metrics and logs count it: "GetHLSMasterPlaylist" for GET
// /hls/v1/getHLSMasterPlaylist.m3u8; "" when the path names none. The
// request is one of the server's mux patterns GET /hls/v1/{res} and GET
// /dash/v1/{res}.
func ResourceAPI(r *http.Request) string {
	return sessionResources[resourceProtocol(r)][r.PathValue("res")]
}

// resourceProtocol is the first element of a resource's path: hls or dash.
func resourceProtocol(r *http.Request) string {
	proto, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return proto
}

// ServeResource answers a session resource request. It runs under the
// server's middleware: the request's Call is in its context (its log, the
// code of an aborted answer), and an error it returns is the middleware's
// to answer.
func (s *Sessions) ServeResource(w http.ResponseWriter, r *http.Request) error {
	api, proto := ResourceAPI(r), resourceProtocol(r)
	if api == "" {
		return httpapi.Errorf(kvs.UnknownOperation, "No resource %s.", r.URL.Path)
	}
	needsNumber := api == "GetMP4MediaFragment" || api == "GetTSFragment"
	q, err := parseResourceQuery(r.URL.RawQuery, needsNumber)
	if err != nil {
		return err
	}
	now := s.d.Now()
	ss, err := s.signer.Verify(q.token, now)
	switch {
	case errors.Is(err, playback.ErrExpired):
		return httpapi.Errorf(kvs.NotAuthorized, "The session token has expired.")
	case err != nil:
		return httpapi.Errorf(kvs.NotAuthorized, "The session token is not valid.")
	case (ss.Protocol == kvs.HLS) != (proto == "hls"):
		return httpapi.Errorf(kvs.NotAuthorized, "The session token is not valid for %s.", proto)
	case api == "GetTSFragment" && ss.Container != kvs.MPEGTS,
		(api == "GetMP4InitFragment" || api == "GetMP4MediaFragment") && ss.Container == kvs.MPEGTS:
		return httpapi.InvalidArg("The session's ContainerFormat is %s.", ss.Container)
	}
	ctx := r.Context()
	st, err := s.d.Store.Stream(ctx, ss.Stream)
	if err != nil || st.ARN != ss.StreamARN {
		return httpapi.Errorf(kvs.ResourceNotFound, "The stream of the session no longer exists.")
	}
	uri := func(res, number string) string {
		u := res + "?SessionToken=" + url.QueryEscape(q.token)
		if number != "" {
			u += "&FragmentNumber=" + number
		}
		if q.track != 0 && ss.Protocol == kvs.HLS {
			// A per-track playlist names per-track segments.
			u += "&TrackNumber=" + strconv.Itoa(int(q.track))
		}
		return u
	}
	switch api {
	case "GetHLSMasterPlaylist":
		return s.sendMaster(ctx, w, ss, now, uri)
	case "GetHLSMediaPlaylist":
		return s.sendMediaPlaylist(ctx, w, ss, now, uri)
	case "GetDASHManifest":
		return s.sendManifest(ctx, w, ss, now, uri, s.d.Endpoint(r)+TimePath)
	}
	frags, err := s.sessionFragment(ctx, ss, q.number, now)
	if err != nil {
		return err
	}
	if api == "GetTSFragment" {
		return s.sendTS(ctx, w, st, frags)
	}
	// An init segment is planned as its fragment's media segment is:
	// after the fragment before it, so that a fragment that does not
	// begin on a key frame (a producer that cuts fragments anywhere) still
	// has the media an init needs to be served, the same as its segment's.
	sp, err := s.planSegment(ctx, st, frags)
	if err != nil {
		return err
	}
	if ss.Protocol == kvs.DASH && q.track == 0 {
		return httpapi.InvalidArg("TrackNumber is required.")
	}
	if api == "GetMP4InitFragment" {
		// An init segment carries its fragment's codec data alone.
		return sp.sendInit(w, q.track)
	}
	return s.sendMedia(ctx, w, sp, q.track)
}

// sessionFragment returns the fragment a segment request names, after
// the one before it in the session if there is one, when it is one of the
// session's. With no number it returns the fragment whose codec data the
// init segment carries: the newest one of a LIVE session, else the first.
func (s *Sessions) sessionFragment(ctx context.Context, ss *playback.Session, number string, now time.Time) ([]kvs.Fragment, error) {
	frags, head, err := s.sessionFragments(ctx, ss, now, true)
	if err != nil {
		return nil, err
	}
	if f, ok := findSessionFragment(ss, frags, head, number); ok {
		return f, nil
	}
	if head.Seq > 0 {
		// Listed from the anchor: a player with an older playlist may
		// ask for a fragment before it, or for the anchor itself,
		// which needs the one before.
		if frags, head, err = s.sessionFragments(ctx, ss, now, false); err != nil {
			return nil, err
		}
		if f, ok := findSessionFragment(ss, frags, head, number); ok {
			return f, nil
		}
	}
	if len(frags) == 0 {
		return nil, httpapi.Errorf(kvs.ResourceNotFound, "The session has no fragments yet.")
	}
	return nil, httpapi.Errorf(kvs.ResourceNotFound, "Fragment %s is not in the session.", number)
}

// findSessionFragment finds what sessionFragment returns in a listing of
// the session that starts at head, if it is there whole: the fragment
// after the one before it, unless it is the session's first.
func findSessionFragment(ss *playback.Session, frags []kvs.Fragment, head sessionHead, number string) ([]kvs.Fragment, bool) {
	if len(frags) == 0 {
		return nil, false
	}
	if number == "" {
		if ss.Mode == kvs.Live {
			return frags[len(frags)-1:], true
		}
		return frags[:1], head.Seq == 0
	}
	i := -1
	if ss.Protocol == kvs.DASH {
		// DASH names a segment by its sequence number in the session.
		if n, err := strconv.ParseInt(number, 10, 64); err == nil && n >= head.Seq && n-head.Seq < int64(len(frags)) {
			i = int(n - head.Seq)
		}
	} else {
		for k := len(frags) - 1; k >= 0; k-- {
			if frags[k].Number == number {
				i = k
				break
			}
		}
	}
	if i < 0 || i == 0 && head.Seq > 0 {
		return nil, false
	}
	return frags[max(i-1, 0) : i+1], true
}
