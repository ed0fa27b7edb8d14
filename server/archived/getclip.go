package archived

import (
	"context"
	"net/http"

	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// GetClipInput is GetClip's request.
type GetClipInput struct {
	StreamName, StreamARN *string
	ClipFragmentSelector  *Selector
}

// Validate checks the selector, which GetClip requires.
func (in *GetClipInput) Validate() error {
	if in.ClipFragmentSelector == nil {
		return httpapi.InvalidArg("ClipFragmentSelector is required.")
	}
	_, _, _, err := in.ClipFragmentSelector.parse()
	return err
}

// getClip answers GetClip: the request is checked, then sendClip
// (clip.go) chooses the fragments, plans the clip — progressive MP4
// unless Config.FragmentedClips — and streams it. Until the first byte
// goes out every failure is a KVS error; after it, the connection is cut.
func (s *Service) getClip(ctx context.Context, in *GetClipInput, w http.ResponseWriter) error {
	st, err := s.d.Streams.Resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	kind, start, end, err := in.ClipFragmentSelector.parse()
	if err != nil {
		return err
	}
	format := remux.FormatMP4
	if s.cfg.FragmentedClips {
		format = remux.FormatFMP4
	}
	// The HTTP request's headers still count (a Range skips the rate, as
	// for /clips); outside the middleware there are none.
	r := &http.Request{Method: http.MethodPost, Header: http.Header{}}
	if c := httpapi.CallOf(ctx); c != nil && c.Request != nil {
		r = c.Request
	}
	return s.sendClip(ctx, w, r, &clipSpec{st: st, selector: kind, start: start, end: end, format: format})
}
