package server

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/sessions"
)

// Credentials are the one key pair a server accepts SigV4 signatures from.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must come with every request as
	// X-Amz-Security-Token (temporary credentials); when empty, a request
	// carrying a token is refused, as AWS refuses a token it did not issue.
	SessionToken string
}

// Config configures a Server. Zero fields take the defaults below.
type Config struct {
	// Store holds the streams and fragments. Required.
	Store archive.Store
	// PublicURL is what GetDataEndpoint returns for every APIName; empty
	// means this server's own base URL as the request reached it.
	PublicURL string
	// Region and AccountID go into stream ARNs; signatures must be
	// scoped to Region.
	Region    string
	AccountID string
	// Credentials, when set, make every request need a valid SigV4
	// signature by them. When nil, only loopback clients are served.
	Credentials *Credentials
	// MaxClockSkew is how far a signature's time may be from the server's.
	MaxClockSkew time.Duration

	// MaxConcurrentGetClips caps GetClips in flight; beyond it a request
	// gets ClientLimitExceeded. A clip holds its fragments' sample indexes
	// (tens of bytes a frame) and its share of ClipReadAheadBytes.
	MaxConcurrentGetClips int
	// GetClipTPSPerStream limits GetClip calls per stream per second, as
	// KVS does at 1; 0 (the default) leaves them unlimited.
	GetClipTPSPerStream float64
	// ClipReadAheadBytes bounds the payload bytes that all the clips in
	// flight hold at once: read ahead of their writers, and being
	// written. A clip reads ahead within an equal share of it; a clip
	// holding nothing takes its next span, even one over its share, as
	// soon as the span fits in what is free; and a span larger than the
	// whole budget is read only while no clip holds anything. So the
	// server's memory for clip payloads is at most this, or one span if
	// a span is larger, whatever the clips' sizes and number.
	ClipReadAheadBytes int64
	// IndexCacheBytes bounds the sample indexes kept in memory for the
	// next clips of the same fragments; negative keeps none.
	IndexCacheBytes int64
	// PlanCacheBytes bounds the plans of clips kept in memory for the
	// next requests of the same clip (range requests of a player, other
	// viewers); negative keeps none. The plan of a whole-cap clip of
	// 720p30 with AAC, with its indexes, is about 4 MB.
	PlanCacheBytes int64
	// FragmentedClips makes GetClip answer with a fragmented MP4 (with
	// mehd and sidx) instead of the progressive MP4 KVS documents.
	FragmentedClips bool
	// MaxRequestBody bounds the JSON body of every route but PutMedia.
	MaxRequestBody int64
	// MaxFragmentBytes and MaxFragmentDuration bound one PutMedia fragment
	// (KVS: 50 MB, 10 s); a larger one gets an ERROR ack.
	MaxFragmentBytes    int64
	MaxFragmentDuration time.Duration
	// MaxSignedPutMediaBody bounds a PutMedia body signed with its hash
	// (rather than UNSIGNED-PAYLOAD or per chunk): the server must hold it
	// all, unused, until the hash is checked at its end.
	MaxSignedPutMediaBody int64
	// ReadTimeout bounds reading a request's body, and a failed
	// request's unread one, for every route but PutMedia.
	ReadTimeout time.Duration
	// PutMediaIdleTimeout and PutMediaMinBytes are PutMedia's progress
	// rule: in every window of PutMediaIdleTimeout at least
	// PutMediaMinBytes must arrive (KVS ends a session idle for 30 s). A
	// rate, not a deadline per read: a trickle of a byte now and then
	// does not keep a session.
	PutMediaIdleTimeout time.Duration
	PutMediaMinBytes    int64
	// WriteTimeout bounds writing one response (a clip: up to 100 MB);
	// WriteStallTimeout is the longest a client may take no byte of a
	// clip or media response before the server gives up on it and frees
	// its slot.
	WriteTimeout      time.Duration
	WriteStallTimeout time.Duration
	// MaxPutMediaSessions caps the PutMedia sessions in progress; beyond
	// it a PutMedia gets ClientLimitExceeded. A session holds a fragment
	// in memory (up to MaxFragmentBytes) and a goroutine.
	MaxPutMediaSessions int
	// PutMediaIdleAck is how long PutMedia may go without receiving data
	// before it sends an IDLE ack, and then how often it sends one, so
	// that the producer knows the session is alive.
	PutMediaIdleAck time.Duration
	// MaxPutMediaDuration is the longest a PutMedia session lasts (KVS: 45
	// min): then it ends with an ERROR ack, 4003, and the producer opens
	// another.
	MaxPutMediaDuration time.Duration
	// RetentionInterval is how often fragments past their stream's
	// retention are deleted.
	RetentionInterval time.Duration

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

	// ImagesFFmpeg is the ffmpeg program GetImages decodes key frames
	// with: a path, or a name looked up on PATH; "ffmpeg" when empty.
	// When it cannot be found, GetImages answers InvalidArgumentException
	// (and the server says so in its log at start).
	ImagesFFmpeg string
	// ImageCacheBytes bounds the GetImages images kept for the next
	// requests (server/images.DefaultCacheBytes when 0; negative keeps
	// none). MaxConcurrentImageDecodes bounds the ffmpeg processes running
	// at once (images.DefaultMaxDecodes when 0).
	ImageCacheBytes           int64
	MaxConcurrentImageDecodes int
	// PlayerDir holds the browser player library the page loads for HLS
	// sessions (hls.min.js, fetched by make deps; see doc.go); empty
	// means DefaultPlayerDir(). Without it the page says so, and plays
	// HLS only where the browser does natively.
	PlayerDir string

	// Sessions is the HLS and DASH sessions' settings.
	Sessions sessions.Config

	// Listen is how Serve runs the server on a listener: timeouts, the
	// connection budget, TLS, the shutdown's grace.
	Listen ListenConfig

	// Logger receives structured logs; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil. Tests set it.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultRegion                = "us-west-2"
	DefaultAccountID             = "000000000000"
	DefaultMaxClockSkew          = 5 * time.Minute
	DefaultMaxConcurrentGetClips = 32
	DefaultMaxRequestBody        = 1 << 20
	DefaultClipReadAheadBytes    = 64 << 20
	DefaultIndexCacheBytes       = 64 << 20
	DefaultPlanCacheBytes        = 64 << 20
	DefaultMaxFragmentBytes      = 50_000_000
	DefaultMaxFragmentDuration   = 10 * time.Second
	DefaultMaxSignedPutMedia     = DefaultMaxFragmentBytes
	DefaultReadTimeout           = 30 * time.Second
	DefaultPutMediaIdleTimeout   = 30 * time.Second
	DefaultPutMediaIdleAck       = 3 * time.Second
	DefaultMaxPutMediaDuration   = 45 * time.Minute
	DefaultWriteTimeout          = 5 * time.Minute
	// DefaultWriteStallTimeout: load balancers give a silent peer about
	// as long; a client that reads nothing for 10 s is not watching.
	DefaultWriteStallTimeout = 10 * time.Second
	// DefaultPutMediaMinBytes is 1 KiB per PutMediaIdleTimeout window:
	// the header of one fragment, far below any real producer's rate.
	DefaultPutMediaMinBytes = 1 << 10
	// DefaultMaxPutMediaSessions: 256 producers, each up to one 50 MB
	// fragment in flight, is within what the server's memory budget
	// must allow anyway.
	DefaultMaxPutMediaSessions = 256
	DefaultRetentionInterval   = time.Minute
	// KVS's GetMedia limits (developer guide, limits): 3 connections per
	// stream, media at up to 25 MB/s per session.
	DefaultMaxGetMediaConnections = 3
	DefaultGetMediaBytesPerSecond = 25_000_000
	// DefaultGetMediaWriteTimeout is KVS's own patience with a silent
	// PutMedia peer (30 s), applied to a consumer that stops reading.
	DefaultGetMediaWriteTimeout = 30 * time.Second
)

func (c *Config) setDefaults() error {
	if c.Store == nil {
		return errors.New("server: Config.Store is required")
	}
	if c.Credentials != nil && (c.Credentials.AccessKeyID == "" || c.Credentials.SecretAccessKey == "") {
		return errors.New("server: credentials need both an access key id and a secret")
	}
	def := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.AccountID == "" {
		c.AccountID = DefaultAccountID
	}
	if c.MaxConcurrentGetClips == 0 {
		c.MaxConcurrentGetClips = DefaultMaxConcurrentGetClips
	}
	if c.IndexCacheBytes == 0 {
		c.IndexCacheBytes = DefaultIndexCacheBytes
	}
	if c.PlanCacheBytes == 0 {
		c.PlanCacheBytes = DefaultPlanCacheBytes
	}
	if c.ClipReadAheadBytes == 0 {
		c.ClipReadAheadBytes = DefaultClipReadAheadBytes
	}
	if c.MaxRequestBody == 0 {
		c.MaxRequestBody = DefaultMaxRequestBody
	}
	if c.MaxFragmentBytes == 0 {
		c.MaxFragmentBytes = DefaultMaxFragmentBytes
	}
	if c.MaxSignedPutMediaBody == 0 {
		c.MaxSignedPutMediaBody = DefaultMaxSignedPutMedia
	}
	def(&c.MaxClockSkew, DefaultMaxClockSkew)
	def(&c.MaxFragmentDuration, DefaultMaxFragmentDuration)
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.PutMediaIdleTimeout, DefaultPutMediaIdleTimeout)
	def(&c.PutMediaIdleAck, DefaultPutMediaIdleAck)
	def(&c.MaxPutMediaDuration, DefaultMaxPutMediaDuration)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.WriteStallTimeout, DefaultWriteStallTimeout)
	if c.PutMediaMinBytes == 0 {
		c.PutMediaMinBytes = DefaultPutMediaMinBytes
	}
	if c.MaxPutMediaSessions == 0 {
		c.MaxPutMediaSessions = DefaultMaxPutMediaSessions
	}
	def(&c.RetentionInterval, DefaultRetentionInterval)
	def(&c.GetMediaWriteTimeout, DefaultGetMediaWriteTimeout)
	if c.MaxGetMediaConnectionsPerStream == 0 {
		c.MaxGetMediaConnectionsPerStream = DefaultMaxGetMediaConnections
	}
	if c.GetMediaBytesPerSecond == 0 {
		c.GetMediaBytesPerSecond = DefaultGetMediaBytesPerSecond
	}
	if c.PlayerDir == "" {
		c.PlayerDir = DefaultPlayerDir()
	}
	c.Sessions.SetDefaults()
	c.Listen.setDefaults()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// DefaultPlayerDir is where make deps unpacks the page's player library
// and where the server looks for it unless told otherwise: the user's
// cache directory, since the library is fetched from the npm registry,
// not committed. It is "" when the system has no cache directory.
func DefaultPlayerDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "kvsclip", "player")
}
