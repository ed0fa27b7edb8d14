package server

import (
	"net/http"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/sigv4"
)

func notAuthorized(format string, args ...any) *httpapi.Error {
	return httpapi.Errorf(kvs.NotAuthorized, format, args...)
}

// newVerifier is the signature check of a server with credentials; nil
// without them. A signed PutMedia body is read under PutMedia's own
// progress rule and size bound.
func newVerifier(cfg *Config) *sigv4.Verifier {
	if cfg.Credentials == nil {
		return nil
	}
	return &sigv4.Verifier{
		Credentials: *cfg.Credentials, Region: cfg.Region, MaxClockSkew: cfg.MaxClockSkew, Now: cfg.Now,
		MaxBody:             cfg.MaxRequestBody,
		MaxSignedStreamBody: cfg.MaxSignedPutMediaBody,
		StreamIdleTimeout:   cfg.Ingest.PutMediaIdleTimeout, StreamMinBytes: cfg.Ingest.PutMediaMinBytes,
	}
}

// authorize admits a request: with credentials configured it must carry a
// valid signature by them; without, it must come from this machine. A
// streaming request's body (PutMedia) is replaced by one whose bytes are
// verified as they are read (sigv4.Verifier.VerifyStream).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, streaming bool) error {
	switch {
	case s.sig == nil:
		if !isLoopback(r.RemoteAddr) {
			return notAuthorized("This server has no credentials configured and serves loopback clients only.")
		}
		return nil
	case streaming:
		return s.sig.VerifyStream(w, r)
	}
	return s.sig.Verify(r)
}

// authorizeURL admits a GET clip request: a presigned URL (X-Amz-Signature
// in the query) or whatever GetClip accepts.
func (s *Server) authorizeURL(w http.ResponseWriter, r *http.Request) error {
	if s.sig != nil && r.URL.Query().Has("X-Amz-Signature") {
		return s.sig.VerifyPresigned(r)
	}
	return s.authorize(w, r, false)
}
