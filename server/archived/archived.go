// Package archived serves kinesis-video-archived-media's reads of stored
// fragments: ListFragments, GetMediaForFragmentList, GetClip, and GetClip
// as a plain URL, GET /clips/{stream}.mp4, with byte ranges, an ETag and
// provenance headers. It owns the choice of a clip's fragments and its
// plan (and the cache of recent plans); a clip's body goes out through
// package answer, as the sessions' segments do. GetImages and the
// sessions are surfaces of their own.
package archived

import (
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/internal/lru"
	"github.com/kvsclip/kvsclip/server/metrics"
	"github.com/kvsclip/kvsclip/server/ratelimit"
	"github.com/kvsclip/kvsclip/server/storeread"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// Config holds the archived-media limits and choices. Zero fields take
// the defaults below (SetDefaults).
type Config struct {
	// MaxConcurrentGetClips caps GetClips in flight; beyond it a request
	// gets ClientLimitExceeded. A clip holds its fragments' sample indexes
	// (tens of bytes a frame) and its share of the server's read-ahead
	// budget (server.Config.ClipReadAheadBytes).
	MaxConcurrentGetClips int
	// GetClipTPSPerStream limits GetClip calls per stream per second, as
	// KVS does at 1; 0 (the default) leaves them unlimited.
	GetClipTPSPerStream float64
	// PlanCacheBytes bounds the plans of clips kept in memory for the
	// next requests of the same clip (range requests of a player, other
	// viewers); negative keeps none. The plan of a whole-cap clip of
	// 720p30 with AAC, with its indexes, is about 4 MB.
	PlanCacheBytes int64
	// FragmentedClips makes GetClip answer with a fragmented MP4 (with
	// mehd and sidx) instead of the progressive MP4 KVS documents.
	FragmentedClips bool
}

// Defaults of Config.
const (
	DefaultMaxConcurrentGetClips = 32
	DefaultPlanCacheBytes        = 64 << 20
)

// SetDefaults gives the zero fields their defaults.
func (c *Config) SetDefaults() {
	if c.MaxConcurrentGetClips == 0 {
		c.MaxConcurrentGetClips = DefaultMaxConcurrentGetClips
	}
	if c.PlanCacheBytes == 0 {
		c.PlanCacheBytes = DefaultPlanCacheBytes
	}
}

// Deps is what the archived-media operations use of the server. Their
// logs go to the request's logger (httpapi.Log).
type Deps struct {
	// Store lists and looks up fragments; Reader reads their indexes and
	// payloads within the server's read budget, and whole documents.
	Store  archive.Store
	Reader *storeread.Reader
	// Now is the server's clock: the retention window and the selection
	// rules that refuse a range in the future.
	Now func() time.Time
	// Metrics counts clip bytes, clips open and plans.
	Metrics *metrics.Metrics
	// Streams resolves a request's StreamName or StreamARN.
	Streams streamref.Resolver
	// WriteStallTimeout and WriteTimeout bound the writing of a clip or
	// a fragment list's documents (stall.Writer): the longest a client
	// may take no byte, and the whole answer.
	WriteStallTimeout, WriteTimeout time.Duration
	// Vectored reports whether the response w to r reaches its socket as
	// vectors (the server's connection limiter), so that a clip hands
	// its writes over in one call each.
	Vectored func(w http.ResponseWriter, r *http.Request) bool
	// AuthorizeURL admits a GET of a clip URL: a presigned URL, a signed
	// request, or a local client. Its error is the answer.
	AuthorizeURL func(w http.ResponseWriter, r *http.Request) error
}

// Service serves the archived-media reads. Create it with New.
type Service struct {
	d   Deps
	cfg Config
	// clips holds a token per clip in flight (MaxConcurrentGetClips).
	clips chan struct{}
	// plans are the plans of clips sent lately (plancache.go).
	plans *lru.Cache[string, *remux.PlannedClip]
	// rate limits whole-clip requests per stream.
	rate *ratelimit.Limiter
}

// New returns the archived-media service; cfg's zero fields take their
// defaults.
func New(d Deps, cfg Config) *Service {
	cfg.SetDefaults()
	return &Service{d: d, cfg: cfg,
		clips: make(chan struct{}, cfg.MaxConcurrentGetClips),
		plans: newPlanCache(cfg.PlanCacheBytes),
		rate:  ratelimit.New(cfg.GetClipTPSPerStream, 1, d.Now),
	}
}

// Routes are the archived-media operations. GET /clips/{stream}.mp4 is
// not among them: the server mounts ServeClipURL itself.
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{
		httpapi.Op("ListFragments", "/listFragments", s.listFragments),
		httpapi.Stream("GetMediaForFragmentList", "/getMediaForFragmentList", s.getMediaForFragmentList),
		httpapi.Stream("GetClip", "/getClip", s.getClip),
	}
}
