package server

import (
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/dedup"
	"github.com/kvsclip/kvsclip/kvserr"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// getClip answers GetClip: the request is checked, the fragments chosen
// from the index by dedup, then read one by one and fed to a remux.Clipper
// writing into the response. Until the first byte goes out every failure is
// a KVS error; after it, the connection is cut.
func (s *Server) getClip(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		StreamName, StreamARN *string
		ClipFragmentSelector  *selector
	}
	if err := decodeJSON(r, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	st, err := s.resolveStream(in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	if in.ClipFragmentSelector == nil {
		return invalidArg("ClipFragmentSelector is required.")
	}
	kind, start, end, err := in.ClipFragmentSelector.parse()
	if err != nil {
		return err
	}
	if st.RetentionHours == 0 {
		return kindErr(kvserr.NoDataRetention, "The stream %s has no data retention.", st.Name)
	}
	now := s.cfg.Now()
	req := dedup.Request{Selector: dedup.SelectorType(in.ClipFragmentSelector.FragmentSelectorType), Start: start, End: end}
	if err := req.Validate(now); err != nil {
		return err
	}
	// Real KVS's answer for a server-time range wholly before retention.
	if kind == archive.ByServer && end < now.Add(-time.Duration(st.RetentionHours)*time.Hour).UnixMilli() {
		return invalidArg("End timestamp %d is outside of the stream retention period.", end)
	}
	if !s.rate.allow(st.Name) {
		return kindErr(kvserr.ClientLimitExceeded, "GetClip is limited to %g calls per second per stream.", s.cfg.GetClipTPSPerStream)
	}
	select {
	case s.clips <- struct{}{}:
		defer func() { <-s.clips }()
	default:
		return kindErr(kvserr.ClientLimitExceeded, "Too many GetClip requests in progress (%d).", s.cfg.MaxConcurrentGetClips)
	}
	s.m.clipsOpen.Inc()
	defer s.m.clipsOpen.Dec()

	frags, err := s.cfg.Store.List(st.Name, kind, start, end)
	if err != nil {
		return err
	}
	metas := make([]dedup.Meta, len(frags))
	for i, f := range frags {
		metas[i] = dedup.Meta{Number: f.Number, ProducerMillis: f.ProducerMillis, ServerMillis: f.ServerMillis,
			HasProducer: true, HasServer: true, Bytes: f.Size}
	}
	sel, err := dedup.Select(&req, metas, dedup.KVSLimits)
	if err != nil {
		return err
	}

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	out := &clipWriter{w: w, s: s}
	c := remux.NewClipper(out, &remux.Options{Profile: remux.ProfileKVS})
	for _, i := range sel.Chosen {
		f, err := s.readFragment(st.Name, frags[i].Number)
		if err == nil {
			err = c.Add(f)
		}
		if err != nil {
			return s.clipFailed(rq, out, err)
		}
	}
	if _, err := c.Close(); err != nil {
		return s.clipFailed(rq, out, err)
	}
	rq.log.Info("clip sent", "stream", st.Name, "fragments", len(sel.Chosen), "bytes", out.n, "truncated", sel.Truncated)
	return nil
}

// readFragment reads one stored document. Each document is its own byte
// slice and the fragment points into it, so it stays valid while the
// clipper holds it back for the next Add.
func (s *Server) readFragment(stream, number string) (*mkv.Fragment, error) {
	doc, err := s.cfg.Store.Read(stream, number)
	if err != nil {
		return nil, err
	}
	return mkv.NewBytesReader(doc).Next()
}

// clipFailed returns err when nothing was sent yet, else cuts the response.
func (s *Server) clipFailed(rq *request, out *clipWriter, err error) error {
	if out.n == 0 {
		return err
	}
	s.abort(rq, "GetClip", err)
	return nil
}

// clipWriter sends the clip, setting the success headers only at the first
// byte, and counts what went out: until then the request can still fail
// with a proper error.
type clipWriter struct {
	w http.ResponseWriter
	s *Server
	n int64
}

func (c *clipWriter) Write(p []byte) (int, error) {
	if c.n == 0 && len(p) > 0 {
		c.w.Header().Set("Content-Type", "video/mp4")
		c.w.WriteHeader(http.StatusOK)
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.s.m.clipBytes.Add(float64(n))
	return n, err
}
