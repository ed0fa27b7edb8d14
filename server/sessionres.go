package server

import (
	"cmp"
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/sessions"
)

// serveSession answers GET /{hls,dash}/v1/{resource}: package sessions
// serves the resource, and the request is counted and its failure
// answered here, as every API request is. The resources are answered
// without SigV4: the token in the URL is the credential, as with KVS.
func (s *Server) serveSession(w http.ResponseWriter, r *http.Request) {
	api := cmp.Or(sessions.ResourceAPI(r), "Unknown")
	rq := &httpapi.Call{ID: newRequestID(), Start: time.Now(), API: api, Request: r}
	w.Header().Set("x-amzn-RequestId", rq.ID)
	rq.Log = s.log.With("request_id", rq.ID, "api", rq.API)
	defer s.finish(rq)
	if err := s.sessions.ServeResource(w, r.WithContext(httpapi.WithCall(r.Context(), rq))); err != nil {
		s.fail(w, rq, err)
	}
}

// sessionSecret is what keys the session tokens: the credentials' secret
// when the server has credentials, so that servers sharing an archive and
// credentials accept each other's session URLs; else none, and the
// sessions take a random key.
func sessionSecret(c *Credentials) string {
	if c == nil {
		return ""
	}
	return c.SecretAccessKey
}
