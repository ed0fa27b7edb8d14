package server

import (
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/server/httpapi"
)

// addRoutes adds a surface package's routes to the route table, served
// behind serveAPI's middleware (request id, body, signature, accounting,
// the typed error answer) with the request's httpapi.Call in its context.
func (s *Server) addRoutes(routes []httpapi.Route) {
	for _, rt := range routes {
		if _, dup := s.routes[rt.Path]; dup {
			panic("server: two routes for " + rt.Path)
		}
		s.routes[rt.Path] = rt
	}
}

// accounted serves a plain GET route outside the API table (the clip
// URLs) with serveAPI's request accounting: a request id, the metrics and
// the log under api, and an error h returns written as the typed answer.
// h authorizes the request itself; it finds the Call in its context.
func (s *Server) accounted(api string, h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq := &httpapi.Call{ID: newRequestID(), Start: time.Now(), API: api, Request: r}
		w.Header().Set("x-amzn-RequestId", rq.ID)
		rq.Log = s.log.With("request_id", rq.ID, "api", rq.API)
		defer s.finish(rq)
		if err := h(w, r.WithContext(httpapi.WithCall(r.Context(), rq))); err != nil {
			s.fail(w, rq, err)
		}
	}
}
