package archived

import (
	"context"
	"errors"
	"net/http"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/stall"
)

// GetMediaForFragmentListInput is GetMediaForFragmentList's request.
type GetMediaForFragmentListInput struct {
	StreamName, StreamARN *string
	Fragments             []string
}

// Validate checks the list: 1 to 1000 fragment numbers of the model's
// pattern.
func (in *GetMediaForFragmentListInput) Validate() error {
	if len(in.Fragments) < 1 || len(in.Fragments) > 1000 {
		return httpapi.InvalidArg("Fragments must list 1 to 1000 fragment numbers.")
	}
	for _, n := range in.Fragments {
		if !kvs.ValidFragmentNumber(n) {
			return httpapi.InvalidArg("Fragment number %q is not 1 to 128 decimal digits.", n)
		}
	}
	return nil
}

// getMediaForFragmentList streams the stored documents one after another,
// which is exactly KVS's answer: a concatenation of self-contained MKVs.
// Every number is checked against the index first, so an unknown one is a
// clean ResourceNotFound rather than a cut response.
func (s *Service) getMediaForFragmentList(ctx context.Context, in *GetMediaForFragmentListInput, w http.ResponseWriter) error {
	st, err := s.d.Streams.Resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	metas := make([]kvs.Fragment, len(in.Fragments))
	for i, n := range in.Fragments {
		if metas[i], err = s.d.Store.Lookup(ctx, st.Name, n); err != nil {
			if errors.Is(err, archive.ErrFragmentNotFound) || errors.Is(err, archive.ErrStreamNotFound) {
				return httpapi.Errorf(kvs.ResourceNotFound, "Fragment %s of stream %s was not found.", n, st.Name)
			}
			// The store failed (S3 unreachable): a 500 the client
			// retries, not a 404 that says the fragment is gone.
			return err
		}
	}
	body := stall.NewWriter(w, s.d.WriteStallTimeout, s.d.WriteTimeout)
	w.Header().Set("Content-Type", "video/webm")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sent := false
	for c := range s.d.Reader.Documents(ctx, st.Name, metas) {
		err := c.Err
		if err == nil {
			_, err = body.Write(c.B)
			s.d.Reader.Recycle(c.B)
		}
		if err != nil {
			if !sent {
				return err
			}
			httpapi.Abort(ctx, "GetMediaForFragmentList", err)
		}
		sent = true
	}
	return nil
}
