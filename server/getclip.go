package server

import (
	"cmp"
	"io"
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/stall"
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

// clipFailed returns err when nothing was sent yet, else cuts the response.
func (s *Server) clipFailed(rq *httpapi.Call, out *clipWriter, err error) error {
	if out.n == 0 {
		// The clip's headers (its length, range, ETag) are not the
		// error's.
		h := out.w.Header()
		for k := range h {
			if k != "X-Amzn-Requestid" {
				delete(h, k)
			}
		}
		return err
	}
	s.abort(rq, "GetClip", err)
	return nil
}

// clipWriter sends the clip, setting the success headers only at the first
// byte, and counts what went out: until then the request can still fail
// with a proper error. It also holds the clip's first bytes (its headers,
// which come before any payload) back until the payload source has read
// a first span, so that a stored fragment that cannot be read at the
// start is a KVS error rather than a cut response.
type clipWriter struct {
	w      http.ResponseWriter
	s      *Server
	n      int64
	status int       // 0 means 200
	first  time.Time // when the first byte went out
	// ready tells whether the source has read a span; nil means at once.
	ready func() bool
	held  []byte
	// body writes the bytes under the stall rule; nil until the body
	// starts.
	body io.Writer
}

// maxHeldClipBytes bounds what a clipWriter holds back: the moov of a
// progressive clip of 200 fragments is a few hundred KB; a larger head
// goes out as it comes.
const maxHeldClipBytes = 1 << 20

func (c *clipWriter) Write(p []byte) (int, error) {
	if c.ready != nil && !c.ready() && len(c.held)+len(p) <= maxHeldClipBytes {
		c.held = append(c.held, p...)
		return len(p), nil
	}
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.send(p)
}

// flush sends what is held.
func (c *clipWriter) flush() error {
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.send(c.held)
	c.held = nil
	return err
}

func (c *clipWriter) send(p []byte) (int, error) {
	if len(p) > 0 {
		c.begin()
	}
	body := c.body
	if body == nil {
		body = c.w
	}
	n, err := body.Write(p)
	c.n += int64(n)
	c.s.m.ClipBytes.Add(float64(n))
	return n, err
}

// begin sends the status and headers before the first byte.
func (c *clipWriter) begin() {
	if c.n == 0 && c.first.IsZero() {
		c.first = time.Now()
		c.w.Header().Set("Content-Type", "video/mp4")
		c.w.WriteHeader(cmp.Or(c.status, http.StatusOK))
	}
}

// vectoredClipWriter is a clipWriter whose response takes vectors
// (connlimit.Vectored): the clip's writer gathers only small pieces and
// hands each flush over in one call.
type vectoredClipWriter struct{ *clipWriter }

// WriteBuffers sends a flush of the clip's writer in one vector through
// the body's stall.Writer, and as Writes before the source is ready.
func (vc vectoredClipWriter) WriteBuffers(v [][]byte) (int64, error) {
	c := vc.clipWriter
	bw, ok := c.body.(clipio.BuffersWriter)
	if !ok || c.ready != nil && !c.ready() {
		return stall.WriteEach(c, v)
	}
	if err := c.flush(); err != nil {
		return 0, err
	}
	c.begin()
	n, err := bw.WriteBuffers(v)
	c.n += n
	c.s.m.ClipBytes.Add(float64(n))
	return n, err
}
