package sessions

import (
	"context"
	"errors"
	"net/http"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/playback/ts"
)

// sendTS answers getTSFragment.ts: the last fragment of frags, read whole
// (a fragment is at most a few MB, and a TS segment is its own copy of
// every frame anyway) and written as a transport stream. Times are the
// frames' producer times at 90 kHz, the session's timeline.
func (s *Sessions) sendTS(ctx context.Context, w http.ResponseWriter, st archive.Stream, frags []kvs.Fragment) error {
	f := frags[len(frags)-1]
	doc, err := s.d.Store.Read(ctx, st.Name, f.Number)
	if err != nil {
		return err
	}
	frag, err := mkv.NewBytesReader(doc).Next()
	if err != nil {
		return httpapi.Errorf(kvs.InvalidMediaFrame, "Fragment %s cannot be read: %v", f.Number, err)
	}
	if err := playbackCodecs(frag.Header, kvs.HLS, f.Number); err != nil {
		return err
	}
	tracks, samples, err := ts.FromFragment(frag)
	if err != nil {
		var ke *kvs.Error
		if errors.As(err, &ke) {
			ke.Fragment = f.Number
		}
		return err
	}
	w.Header().Set("Content-Type", "video/mp2t")
	tw, err := ts.NewWriter(ctx, w, tracks)
	if err != nil {
		return err
	}
	for i := range samples {
		if err := tw.WriteSample(&samples[i]); err != nil {
			// The headers are out: the response is cut.
			httpapi.Abort(ctx, "GetTSFragment", err)
			return nil
		}
	}
	return nil
}
