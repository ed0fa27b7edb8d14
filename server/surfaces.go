package server

import (
	"net/http"

	"github.com/kvsclip/kvsclip/server/httpapi"
)

// addRoutes puts a surface package's routes in the route table. Their
// handlers find the request's Call (id, logger, body limit) in its
// context, where the middleware's own handlers are handed it.
func (s *Server) addRoutes(routes []httpapi.Route) {
	for _, rt := range routes {
		s.routes[rt.Path] = route{api: rt.Name, streaming: rt.Streaming, h: func(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
			return rt.Serve(w, r.WithContext(httpapi.WithCall(r.Context(), rq)))
		}}
	}
}
