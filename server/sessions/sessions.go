// Package sessions is the server's playback sessions, HLS and DASH:
// GetHLSStreamingSessionURL and GetDASHStreamingSessionURL, which check a
// session's fields and hand out a signed URL, and the resources a player
// fetches with it (/hls/v1/… and /dash/v1/…): playlists, the manifest,
// and the segments, which the remux engine cuts from planned fragments
// (remux.Segments) or, for MPEG_TS, package playback/ts writes.
//
// It owns the session rules of the API (which fields go with which mode
// and protocol, the limits), the listing of a session's fragments with
// their sequence numbers (window.go), and the LIVE sessions' anchors
// (liveanchor.go). Package playback is its pure layer: the token, the
// playlists' and manifest's text. The request accounting of the resources
// (request id, metrics, the error answer) is the server's middleware's.
package sessions

import (
	"cmp"
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/metrics"
	"github.com/kvsclip/kvsclip/server/playback"
	"github.com/kvsclip/kvsclip/server/ratelimit"
	"github.com/kvsclip/kvsclip/server/storeread"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// Config is the sessions' settings. Zero fields take the defaults below
// (SetDefaults).
type Config struct {
	// AnchorSlack is how much earlier than its anchor a LIVE session's
	// listing starts (liveanchor.go): the most that the clocks of servers
	// sharing an archive disagree by, since a fragment numbered after the
	// anchor by another server may carry an earlier server timestamp.
	// Negative means none.
	AnchorSlack time.Duration
}

// DefaultAnchorSlack is Config.AnchorSlack's default: servers kept in
// time by NTP are well within it.
const DefaultAnchorSlack = 5 * time.Second

// SetDefaults gives every zero field its default.
func (c *Config) SetDefaults() {
	c.AnchorSlack = cmp.Or(c.AnchorSlack, DefaultAnchorSlack)
}

// Deps is what the sessions need of the server.
type Deps struct {
	// Store holds the streams and fragments.
	Store archive.Store
	// Now is the clock of sessions' creation and expiry.
	Now func() time.Time
	// Metrics counts the media segments' bytes (ClipBytes, as clips').
	Metrics *metrics.Metrics
	// Streams resolves the stream a session request names.
	Streams streamref.Resolver
	// Reader reads the fragments' indexes and payloads within the
	// server's read budget.
	Reader *storeread.Reader
	// Endpoint is the base URL of this server as the request reached it:
	// the session URLs name it.
	Endpoint func(*http.Request) string
	// Secret keys the session tokens, so that servers sharing an archive
	// and credentials accept each other's session URLs; empty means a
	// random key, and session URLs last as long as the process.
	Secret string
}

// Sessions serves the session operations and resources.
type Sessions struct {
	d       Deps
	cfg     Config
	signer  *playback.Signer   // the session tokens
	rate    *ratelimit.Limiter // session creation, per stream
	anchors liveAnchors        // where LIVE sessions' listings start
}

// CreateTPSPerStream is KVS's limit on session creation: since March 2021
// there is no limit on sessions per stream (it was 10), and
// GetHLSStreamingSessionURL and GetDASHStreamingSessionURL take 25
// requests per second per stream.
const CreateTPSPerStream = 25

// New returns the sessions of d's store. cfg's zero fields take their
// defaults.
func New(d Deps, cfg Config) (*Sessions, error) {
	cfg.SetDefaults()
	signer, err := playback.NewSigner(d.Secret)
	if err != nil {
		return nil, err
	}
	return &Sessions{d: d, cfg: cfg, signer: signer,
		rate: ratelimit.New(CreateTPSPerStream, CreateTPSPerStream, d.Now)}, nil
}

// Routes are the two session operations.
func (s *Sessions) Routes() []httpapi.Route {
	return []httpapi.Route{
		httpapi.Op("GetHLSStreamingSessionURL", "/getHLSStreamingSessionURL", s.getHLSStreamingSessionURL),
		httpapi.Op("GetDASHStreamingSessionURL", "/getDASHStreamingSessionURL", s.getDASHStreamingSessionURL),
	}
}
