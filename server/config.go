package server

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/archived"
	"github.com/kvsclip/kvsclip/server/images"
	"github.com/kvsclip/kvsclip/server/ingest"
	"github.com/kvsclip/kvsclip/server/media"
	"github.com/kvsclip/kvsclip/server/sessions"
	"github.com/kvsclip/kvsclip/server/sigv4"
)

// Credentials are the one key pair a server accepts SigV4 signatures from
// (sigv4.Credentials).
type Credentials = sigv4.Credentials

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
	// AllowOrigins are the origins (scheme://host[:port]) of web pages,
	// other than the server's own page, that may read its answers: the
	// browser is told so (CORS) on the API routes, the clip URLs and the
	// session resources (/hls/v1/, /dash/v1/).
	//
	// Without credentials (local mode) only these origins may, and none
	// when it is empty: nothing else vouches for a request from a page
	// than where it comes from. With credentials and an empty list every
	// origin may, as with KVS: the signature, or a session URL's token,
	// is the credential, and a page can send one only if its user gave
	// it the keys or the URL. A list given with credentials restricts
	// them too, for operators who serve one web app and want a leaked
	// session URL to play in that app's pages alone (other programs are
	// not browsers and are not held by CORS at all).
	AllowOrigins []string

	// Archived configures ListFragments, GetMediaForFragmentList, GetClip
	// and the clip URLs.
	Archived archived.Config
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
	// MaxRequestBody bounds the JSON body of every route but PutMedia.
	MaxRequestBody int64
	// MaxSignedPutMediaBody bounds a PutMedia body signed with its hash
	// (rather than UNSIGNED-PAYLOAD or per chunk): the server must hold it
	// all, unused, until the hash is checked at its end.
	MaxSignedPutMediaBody int64
	// ReadTimeout bounds reading a request's body, and a failed
	// request's unread one, for every route but PutMedia.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one response (a clip: up to 100 MB);
	// WriteStallTimeout is the longest a client may take no byte of a
	// clip or media response before the server gives up on it and frees
	// its slot.
	WriteTimeout      time.Duration
	WriteStallTimeout time.Duration
	// Ingest is PutMedia's limits: fragment size and length, the progress
	// rule, sessions at once, IDLE acks and session length.
	Ingest ingest.Config
	// RetentionInterval is how often fragments past their stream's
	// retention are deleted.
	RetentionInterval time.Duration

	// Media configures GetMedia.
	Media media.Config

	// Images configures GetImages: its ffmpeg, image cache, decodes at
	// once and answer size.
	Images images.Config
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
	DefaultRegion             = "us-west-2"
	DefaultAccountID          = "000000000000"
	DefaultMaxClockSkew       = 5 * time.Minute
	DefaultMaxRequestBody     = 1 << 20
	DefaultClipReadAheadBytes = 64 << 20
	DefaultIndexCacheBytes    = 64 << 20
	DefaultMaxSignedPutMedia  = ingest.DefaultMaxFragmentBytes
	DefaultReadTimeout        = 30 * time.Second
	DefaultWriteTimeout       = 5 * time.Minute
	// DefaultWriteStallTimeout: load balancers give a silent peer about
	// as long; a client that reads nothing for 10 s is not watching.
	DefaultWriteStallTimeout = 10 * time.Second
	DefaultRetentionInterval = time.Minute
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
	if c.IndexCacheBytes == 0 {
		c.IndexCacheBytes = DefaultIndexCacheBytes
	}
	if c.ClipReadAheadBytes == 0 {
		c.ClipReadAheadBytes = DefaultClipReadAheadBytes
	}
	if c.MaxRequestBody == 0 {
		c.MaxRequestBody = DefaultMaxRequestBody
	}
	if c.MaxSignedPutMediaBody == 0 {
		c.MaxSignedPutMediaBody = DefaultMaxSignedPutMedia
	}
	def(&c.MaxClockSkew, DefaultMaxClockSkew)
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.WriteStallTimeout, DefaultWriteStallTimeout)
	c.Ingest.SetDefaults()
	def(&c.RetentionInterval, DefaultRetentionInterval)
	c.Media.SetDefaults()
	c.Archived.SetDefaults()
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
