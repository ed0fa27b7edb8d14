package server

import (
	"net/http"
	"strings"

	"github.com/kvsclip/kvsclip/server/archived"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// newCORS is the server's CORS rule (Config.AllowOrigins): the listed
// origins, or with none listed every origin on a server with credentials
// and none without. The clip provenance headers are exposed with the
// API's own.
func newCORS(cfg *Config) (*httpapi.CORS, error) {
	return httpapi.NewCORS(cfg.AllowOrigins, cfg.Credentials != nil,
		archived.HeaderFirstFragment, archived.HeaderFirstProducer, archived.HeaderFirstServer,
		archived.HeaderLastFragment, archived.HeaderLastProducer, archived.HeaderLastServer,
		archived.HeaderFragments, archived.HeaderDuplicatesDropped, archived.HeaderTruncated,
		archived.HeaderNextStartTimestamp)
}

// corsMethods returns the methods a path is served with when other origins
// may read it, or "" when they may not whatever the rule: the API routes
// (POST, signed) and the clip URLs and session resources (GET, presigned
// or with the session token). The page, its assets and /metrics are for
// the server's own origin and the operator.
func (s *Server) corsMethods(path string) string {
	if _, ok := s.routes[path]; ok {
		return "POST"
	}
	for _, p := range []string{"/hls/v1/", "/dash/v1/", "/clips/"} {
		if strings.HasPrefix(path, p) {
			return "GET, HEAD"
		}
	}
	return ""
}

// originAllowed reports whether the request's Origin may read the answer:
// the server's own page always, others by the rule.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	return origin != "" && (sameOrigin(origin, r) || s.cors.Allows(origin))
}

// serveCORS answers a preflight, reporting true, or sets the CORS headers
// of the answer to come. A preflight carries no credential, so it is
// answered from its headers alone: it never reaches the signature check
// or the store.
func (s *Server) serveCORS(w http.ResponseWriter, r *http.Request, methods string, allowed bool) bool {
	if httpapi.IsPreflight(r) {
		w.Header().Set("x-amzn-RequestId", newRequestID())
		if !allowed {
			s.log.Info("CORS preflight refused", "origin", r.Header.Get("Origin"), "path", r.URL.Path)
		}
	}
	return s.cors.Answer(w, r, methods, allowed)
}
