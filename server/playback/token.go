package playback

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/kvsclip/kvsclip/kvs"
)

// Session is what a session token carries: everything a resource request
// needs to answer without any server-side state, so that any server sharing
// the archive and the key can serve it.
type Session struct {
	// ID is random: two sessions asked with the same fields still differ.
	ID        string       `json:"id"`
	Protocol  kvs.Protocol `json:"p"`
	StreamARN string       `json:"arn"`
	Stream    string       `json:"s"`
	// The session's words are typed (kvs): they marshal as the bare
	// strings earlier tokens carry, so those still verify and decode.
	Mode     kvs.PlaybackMode `json:"m"`
	Selector kvs.Selector     `json:"sel"`
	// Start and End bound the fragments' start timestamps, in ms since the
	// epoch, both inclusive; HasEnd is false for an open LIVE_REPLAY.
	Start  int64 `json:"b,omitempty"`
	End    int64 `json:"e,omitempty"`
	HasEnd bool  `json:"he,omitempty"`
	// From is the number of a LIVE session's first fragment: several
	// fragments can share a server timestamp's millisecond, numbers
	// cannot.
	From string `json:"f,omitempty"`
	// Container and Discontinuity are HLS only.
	Container     kvs.ContainerFormat   `json:"c,omitempty"`
	Discontinuity kvs.DiscontinuityMode `json:"d,omitempty"`
	// DisplayNumber is DASH only.
	DisplayTimestamp kvs.DisplayMode `json:"t,omitempty"`
	DisplayNumber    kvs.DisplayMode `json:"n,omitempty"`
	// MaxResults caps the fragments of a playlist or manifest.
	MaxResults int `json:"x"`
	// Target is the session's EXT-X-TARGETDURATION in seconds, chosen at
	// its start from the fragments then: a live playlist's must not change
	// (RFC 8216 §6.2.1), and grows only if a longer fragment comes.
	Target int `json:"td,omitempty"`
	// Created and Expires are in ms since the epoch.
	Created int64 `json:"at"`
	Expires int64 `json:"exp"`
}

// Token errors. The server answers ErrExpired and ErrBadToken with KVS's
// NotAuthorized; they are kept apart for its logs and tests.
var (
	ErrBadToken = errors.New("playback: the session token is not valid")
	ErrExpired  = errors.New("playback: the session has expired")
)

// maxTokenLen bounds a token before any decoding: a session's JSON is a few
// hundred bytes, and a query string longer than this is not ours.
const maxTokenLen = 4096

// keyInfo separates the playback key from any other use of the secret it is
// derived from.
const keyInfo = "kvsclip playback session key v1"

// Signer signs and checks session tokens with HMAC-SHA256.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer keyed from secret, so that every server
// configured with the same credentials accepts the tokens of the others;
// an empty secret gets a random key, valid for this process only.
func NewSigner(secret string) (*Signer, error) {
	if secret == "" {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		return &Signer{key: k}, nil
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(keyInfo))
	return &Signer{key: m.Sum(nil)}, nil
}

// NewID returns a random session ID.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

var enc = base64.RawURLEncoding

// Sign returns the token of s: its JSON and the HMAC of it, both base64url,
// joined by a dot. The token is opaque to clients and safe in a query.
func (g *Signer) Sign(s *Session) string {
	body, _ := json.Marshal(s) // a Session always marshals
	p := enc.EncodeToString(body)
	return p + "." + enc.EncodeToString(g.mac(p))
}

func (g *Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// Verify checks a token's signature and expiry at now and returns its
// session. The signature is checked before the payload is decoded.
func (g *Signer) Verify(token string, now time.Time) (*Session, error) {
	if len(token) == 0 || len(token) > maxTokenLen {
		return nil, ErrBadToken
	}
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, ErrBadToken
	}
	got, err := enc.DecodeString(sig)
	if err != nil || !hmac.Equal(got, g.mac(p)) {
		return nil, ErrBadToken
	}
	body, err := enc.DecodeString(p)
	if err != nil {
		return nil, ErrBadToken
	}
	var s Session
	if err := json.Unmarshal(body, &s); err != nil || s.ID == "" || s.StreamARN == "" {
		return nil, ErrBadToken
	}
	if now.UnixMilli() >= s.Expires {
		return nil, ErrExpired
	}
	return &s, nil
}
