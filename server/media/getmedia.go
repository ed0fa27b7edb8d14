package media

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// drainPoll is how often a GetMedia session waiting for fragments checks
// whether the server is draining: Shutdown waits for every connection,
// and a tail would otherwise hold it until its client leaves.
const drainPoll = time.Second

// GetMediaInput is GetMedia's request.
type GetMediaInput struct {
	StreamName, StreamARN *string
	StartSelector         *StartSelector
}

// Validate checks the start selector (StartSelector.parse).
func (in *GetMediaInput) Validate() error {
	if in.StartSelector == nil {
		return httpapi.InvalidArg("StartSelector is required.")
	}
	_, err := in.StartSelector.parse()
	return err
}

// getMedia streams a stream's fragments from the start selector on, then
// each new one as it is PERSISTED, until the client leaves: one
// self-contained Matroska document per fragment, as stored, followed by
// the Tags element with AWS_KINESISVIDEO_MILLIS_BEHIND_NOW and
// AWS_KINESISVIDEO_CONTINUATION_TOKEN. Every fragment is read from the
// archive by ranges, so a consumer far behind costs no more memory than
// one at the live edge. While no fragment arrives the connection stays
// open and nothing is sent; KVS documents no idle end for GetMedia.
func (s *Service) getMedia(ctx context.Context, in *GetMediaInput, w http.ResponseWriter) error {
	start, err := in.StartSelector.parse()
	if err != nil {
		return err
	}
	st, err := s.d.Streams.Resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	if !s.rate.Allow(st.Name) {
		return httpapi.Errorf(kvs.ClientLimitExceeded, "GetMedia calls on stream %s exceed %g per second.", st.Name, s.cfg.GetMediaTPSPerStream)
	}
	if !s.conns.take(st.Name, s.cfg.MaxGetMediaConnectionsPerStream) {
		return httpapi.Errorf(kvs.ConnectionLimitExceeded, "Stream %s already has %d GetMedia connections.", st.Name, s.cfg.MaxGetMediaConnectionsPerStream)
	}
	defer s.conns.release(st.Name)
	cur, err := newCursor(ctx, s.d.Store, st.Name, start, s.d.MaxFragmentDuration, s.d.Now())
	if err != nil {
		return err
	}

	// The headers go at once: the SDK's call returns with them, also
	// when the first fragment is yet to come.
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "video/webm")
	w.WriteHeader(http.StatusOK)
	out := &writer{w: w, rc: rc, timeout: s.cfg.GetMediaWriteTimeout, pace: pacer{rate: s.cfg.GetMediaBytesPerSecond}}
	if err := out.flush(); err != nil {
		return nil
	}
	for {
		wake := s.d.Feed.Wait(st.Name)
		frags, err := cur.next(ctx)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, archive.ErrStreamNotFound) {
				httpapi.Abort(ctx, "GetMedia", err)
			}
			return nil
		}
		for _, f := range frags {
			if err := s.sendFragment(ctx, out, st.Name, f); err != nil {
				if ctx.Err() != nil || errors.Is(err, errConsumerGone) {
					httpapi.Log(ctx).Debug("getmedia: consumer gone", "err", err)
					return nil
				}
				httpapi.Abort(ctx, "GetMedia", err)
			}
			cur.passed(f)
		}
		if len(frags) > 0 {
			continue
		}
		out.pace.idle()
		if !s.idle(ctx, wake) {
			return nil
		}
	}
}

// idle waits for the stream's next fragment; false when the session
// should end instead (the client left, or the server drains).
func (s *Service) idle(ctx context.Context, wake <-chan struct{}) bool {
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		select {
		case <-wake:
			return true
		case <-ctx.Done():
			return false
		case <-t.C:
			if s.d.Draining() {
				return false
			}
		}
	}
}

// sendFragment writes one fragment's stored document and then its GetMedia
// tags. A fragment that retention deleted before its first byte went out is
// skipped, as it is no longer part of the stream.
func (s *Service) sendFragment(ctx context.Context, out *writer, stream string, f kvs.Fragment) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wrote := false
	for c := range s.d.Reader.Documents(ctx, stream, []kvs.Fragment{f}) {
		if c.Err != nil {
			if !wrote && errors.Is(c.Err, archive.ErrFragmentNotFound) {
				return nil
			}
			return c.Err
		}
		err := out.write(ctx, c.B)
		s.d.Reader.Recycle(c.B)
		if err != nil {
			return err
		}
		wrote = true
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tags := mkv.Tags{
		MillisBehindNow:    max(0, s.d.Now().UnixMilli()-f.ServerMillis),
		HasMillisBehindNow: true,
		ContinuationToken:  f.Number,
	}
	var buf [256]byte
	if err := out.write(ctx, mkv.AppendGetMediaTags(buf[:0], &tags)); err != nil {
		return err
	}
	return out.flush()
}
