package server

import (
	"net/http"

	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// getClip answers GetClip: the request is checked, then sendClip
// (clips.go) chooses the fragments, plans the clip — progressive MP4
// unless Config.FragmentedClips — and streams it. Until the first byte
// goes out every failure is a KVS error; after it, the connection is cut.
func (s *Server) getClip(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN *string
		ClipFragmentSelector  *selector
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	st, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	if in.ClipFragmentSelector == nil {
		return httpapi.InvalidArg("ClipFragmentSelector is required.")
	}
	kind, start, end, err := in.ClipFragmentSelector.parse()
	if err != nil {
		return err
	}
	format := remux.FormatMP4
	if s.cfg.FragmentedClips {
		format = remux.FormatFMP4
	}
	return s.sendClip(w, r, rq, &clipSpec{st: st, selector: kind, start: start, end: end, format: format})
}
