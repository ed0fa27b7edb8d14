// Package answer writes the MP4 answers whose bytes come from stored
// payloads (GetClip, the clip URLs, a playback session's media segments)
// so that a failure stays a typed KVS error for as long as it can: the
// status and the first bytes are held back until the payload source has
// served a first span, and once a byte has gone out, a failure cuts the
// connection rather than ending the body as if it were whole. What goes
// into the answer (the plan, the fragments) is the caller's, and the
// reads behind the payload source are package storeread's.
package answer

import (
	"cmp"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/stall"
)

// Writer sends an MP4 answer, setting the success headers only at the
// first byte, and counts what went out: until then the request can still
// fail with a proper error (Failed). It also holds the answer's first
// bytes (its headers, which come before any payload) back until Ready, so
// that a stored fragment that cannot be read at the start is a KVS error
// rather than a cut response.
type Writer struct {
	// Status is the answer's status; 0 means 200.
	Status int
	// Ready tells whether the payload source has read a span; nil means
	// at once.
	Ready func() bool
	// Body writes the bytes (under the stall rule, a stall.Writer); nil
	// writes them to the response directly.
	Body io.Writer

	w     http.ResponseWriter
	sent  prometheus.Counter
	n     int64
	first time.Time // when the first byte went out
	held  []byte
}

// New returns a Writer of w that adds every byte it sends to sent.
func New(w http.ResponseWriter, sent prometheus.Counter) *Writer {
	return &Writer{w: w, sent: sent}
}

// maxHeld bounds what a Writer holds back: the moov of a progressive clip
// of 200 fragments is a few hundred KB; a larger head goes out as it
// comes.
const maxHeld = 1 << 20

// Write sends p, or holds it while the source is not ready.
func (c *Writer) Write(p []byte) (int, error) {
	if c.Ready != nil && !c.Ready() && len(c.held)+len(p) <= maxHeld {
		c.held = append(c.held, p...)
		return len(p), nil
	}
	if err := c.Flush(); err != nil {
		return 0, err
	}
	return c.send(p)
}

// Flush sends what is held: call it when the answer's writer is done.
func (c *Writer) Flush() error {
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.send(c.held)
	c.held = nil
	return err
}

// Sent is how many bytes went out.
func (c *Writer) Sent() int64 { return c.n }

// First is when the first byte went out; zero before.
func (c *Writer) First() time.Time { return c.first }

func (c *Writer) send(p []byte) (int, error) {
	if len(p) > 0 {
		c.begin()
	}
	body := c.Body
	if body == nil {
		body = c.w
	}
	n, err := body.Write(p)
	c.count(int64(n))
	return n, err
}

func (c *Writer) count(n int64) {
	c.n += n
	c.sent.Add(float64(n))
}

// begin sends the status and headers before the first byte.
func (c *Writer) begin() {
	if c.n == 0 && c.first.IsZero() {
		c.first = time.Now()
		c.w.Header().Set("Content-Type", "video/mp4")
		c.w.WriteHeader(cmp.Or(c.Status, http.StatusOK))
	}
}

// Vectored is a Writer whose response takes vectors: the answer's writer
// gathers only small pieces and hands each flush over in one call.
type Vectored struct{ *Writer }

// WriteBuffers sends a flush of the answer's writer in one vector through
// the Body's stall.Writer, and as Writes before the source is ready.
func (vc Vectored) WriteBuffers(v [][]byte) (int64, error) {
	c := vc.Writer
	bw, ok := c.Body.(clipio.BuffersWriter)
	if !ok || c.Ready != nil && !c.Ready() {
		return stall.WriteEach(c, v)
	}
	if err := c.Flush(); err != nil {
		return 0, err
	}
	c.begin()
	n, err := bw.WriteBuffers(v)
	c.count(n)
	return n, err
}

// Failed returns err when nothing was sent yet, without the headers the
// answer had set for its success; else it cuts the response
// (httpapi.Abort, under the name of the request's operation) and returns
// nil.
func Failed(ctx context.Context, w *Writer, err error) error {
	if w.n == 0 {
		// The answer's headers (its length, range, ETag) are not the
		// error's.
		h := w.w.Header()
		for k := range h {
			if k != "X-Amzn-Requestid" {
				delete(h, k)
			}
		}
		return err
	}
	what := "response"
	if c := httpapi.CallOf(ctx); c != nil {
		what = c.API
	}
	httpapi.Abort(ctx, what, err)
	return nil
}
