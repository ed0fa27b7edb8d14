package server

import (
	"context"
	"net/http"

	"github.com/kvsclip/kvsclip/server/archived"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// clipWriter is the writer of a session segment's body (segments.go):
// archived.ClipWriter, in the shape the sessions build it, until they
// move to a package of their own and use archived.NewClipWriter.
type clipWriter struct {
	w     http.ResponseWriter
	s     *Server
	ready func() bool
	cw    *archived.ClipWriter
}

// out is the archived.ClipWriter, made at the first use.
func (c *clipWriter) out() *archived.ClipWriter {
	if c.cw == nil {
		c.cw = archived.NewClipWriter(c.w, c.s.m, c.ready)
	}
	return c.cw
}

func (c *clipWriter) Write(p []byte) (int, error) { return c.out().Write(p) }

// flush sends what the writer holds back.
func (c *clipWriter) flush() error { return c.out().Flush() }

// clipFailed returns err when nothing was sent yet, else cuts the response
// (archived.ClipWriter.Failed).
func (s *Server) clipFailed(rq *httpapi.Call, out *clipWriter, err error) error {
	return out.out().Failed(httpapi.WithCall(context.Background(), rq), err)
}

// abort ends a response that has begun (httpapi.Abort) for the handlers
// that still take their Call as an argument.
func (s *Server) abort(rq *httpapi.Call, what string, err error) {
	httpapi.Abort(httpapi.WithCall(context.Background(), rq), what, err)
}
