// Package media serves GetMedia, the kinesis-video-media read API: a
// stream's fragments from a start selector on, then each new one as it is
// stored, for as long as the consumer reads. It owns the start selector,
// the cursor that walks a stream in number order, the per-stream limits on
// connections and calls, and the paced, deadline-renewing writer of the
// answer. PutMedia, the other kinesis-video-media operation, is ingest's.
package media

import (
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/feed"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/ratelimit"
	"github.com/kvsclip/kvsclip/server/storeread"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// Config holds GetMedia's limits. Zero fields take the defaults below
// (SetDefaults).
type Config struct {
	// MaxGetMediaConnectionsPerStream caps the GetMedia connections open
	// on one stream at once (KVS: 3); beyond it a request gets
	// ConnectionLimitExceededException.
	MaxGetMediaConnectionsPerStream int
	// GetMediaTPSPerStream limits GetMedia calls per stream per second, as
	// KVS does at 5; 0 (the default) leaves them unlimited.
	GetMediaTPSPerStream float64
	// GetMediaBytesPerSecond is the most a GetMedia session sends per
	// second (KVS: 25 MB/s); negative sends as fast as the consumer reads.
	GetMediaBytesPerSecond int64
	// GetMediaWriteTimeout bounds one write of a GetMedia response: a
	// consumer that reads nothing for that long loses its connection and
	// its slot. The deadline is renewed before every write, so a session
	// that keeps reading lasts as long as the stream has fragments.
	GetMediaWriteTimeout time.Duration
}

// Defaults of Config: KVS's GetMedia limits (developer guide, limits), 3
// connections per stream, media at up to 25 MB/s per session.
const (
	DefaultMaxGetMediaConnections = 3
	DefaultGetMediaBytesPerSecond = 25_000_000
	// DefaultGetMediaWriteTimeout is KVS's own patience with a silent
	// PutMedia peer (30 s), applied to a consumer that stops reading.
	DefaultGetMediaWriteTimeout = 30 * time.Second
)

// SetDefaults gives the zero fields their defaults.
func (c *Config) SetDefaults() {
	if c.GetMediaWriteTimeout == 0 {
		c.GetMediaWriteTimeout = DefaultGetMediaWriteTimeout
	}
	if c.MaxGetMediaConnectionsPerStream == 0 {
		c.MaxGetMediaConnectionsPerStream = DefaultMaxGetMediaConnections
	}
	if c.GetMediaBytesPerSecond == 0 {
		c.GetMediaBytesPerSecond = DefaultGetMediaBytesPerSecond
	}
}

// Deps is what GetMedia uses of the server. Its logs go to the request's
// logger (httpapi.Log), and it has no metrics of its own: the
// middleware's count every request.
type Deps struct {
	// Store lists the stream's fragments; Reader reads their documents
	// in chunks, with recycled buffers.
	Store  archive.Store
	Reader *storeread.Reader
	// Now is the server's clock: where NOW starts, and each fragment's
	// AWS_KINESISVIDEO_MILLIS_BEHIND_NOW.
	Now func() time.Time
	// Streams resolves a request's StreamName or StreamARN.
	Streams streamref.Resolver
	// Feed wakes a session waiting at the live edge when its stream's
	// next fragment is stored on this server.
	Feed *feed.Feed
	// Draining reports whether the server is shutting down: a session
	// waiting for fragments then ends, so that Shutdown need not wait on
	// its client.
	Draining func() bool
	// MaxFragmentDuration is ingest's bound on one fragment: how far
	// before a time the fragment holding it can start, and how late a
	// fragment becomes visible after its server timestamp.
	MaxFragmentDuration time.Duration
}

// Service serves GetMedia. Create it with New.
type Service struct {
	d     Deps
	cfg   Config
	conns conns              // connections open per stream
	rate  *ratelimit.Limiter // calls per stream per second
}

// New returns the GetMedia service; cfg's zero fields take their
// defaults.
func New(d Deps, cfg Config) *Service {
	cfg.SetDefaults()
	return &Service{d: d, cfg: cfg, rate: ratelimit.New(cfg.GetMediaTPSPerStream, 1, d.Now)}
}

// Routes are GetMedia's route.
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{
		httpapi.Stream("GetMedia", "/getMedia", s.getMedia),
	}
}
