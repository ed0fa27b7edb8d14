package server

import (
	"context"
	"net/http"

	"github.com/kvsclip/kvsclip/archive"
)

// sendTS answers getTSFragment.ts.
func (s *Server) sendTS(ctx context.Context, rq *request, w http.ResponseWriter, st archive.Stream, frags []archive.Fragment) error {
	return invalidArg("MPEG_TS segments are not served yet.")
}
