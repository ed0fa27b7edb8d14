package archived

import (
	"cmp"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/metrics"
	"github.com/kvsclip/kvsclip/server/stall"
)

// ClipWriter sends a clip's body — GetClip's, or a session segment's —
// setting the success headers only at the first byte, and counts what
// went out: until then the request can still fail with a proper error
// (Failed). It also holds the clip's first bytes (its headers, which come
// before any payload) back until the payload source has read a first
// span, so that a stored fragment that cannot be read at the start is a
// KVS error rather than a cut response.
type ClipWriter struct {
	w      http.ResponseWriter
	m      *metrics.Metrics
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

// NewClipWriter returns the writer of a clip's body to w, counted in m's
// ClipBytes, holding its first bytes back until ready (nil: at once).
func NewClipWriter(w http.ResponseWriter, m *metrics.Metrics, ready func() bool) *ClipWriter {
	return &ClipWriter{w: w, m: m, ready: ready}
}

// Failed returns err when nothing of the clip was sent yet, with the
// clip's headers taken back, so that the caller answers it as a KVS error;
// once bytes went out, it cuts the response (httpapi.Abort).
func (c *ClipWriter) Failed(ctx context.Context, err error) error {
	if c.n == 0 {
		// The clip's headers (its length, range, ETag) are not the
		// error's.
		h := c.w.Header()
		for k := range h {
			if k != "X-Amzn-Requestid" {
				delete(h, k)
			}
		}
		return err
	}
	httpapi.Abort(ctx, "GetClip", err)
	return nil
}

// maxHeldClipBytes bounds what a ClipWriter holds back: the moov of a
// progressive clip of 200 fragments is a few hundred KB; a larger head
// goes out as it comes.
const maxHeldClipBytes = 1 << 20

// Write sends p, or holds it while the source has read nothing and what
// is held stays within maxHeldClipBytes.
func (c *ClipWriter) Write(p []byte) (int, error) {
	if c.ready != nil && !c.ready() && len(c.held)+len(p) <= maxHeldClipBytes {
		c.held = append(c.held, p...)
		return len(p), nil
	}
	if err := c.Flush(); err != nil {
		return 0, err
	}
	return c.send(p)
}

// Flush sends what is held: at the end of the clip, which may be too
// short for the source to have read anything.
func (c *ClipWriter) Flush() error {
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.send(c.held)
	c.held = nil
	return err
}

func (c *ClipWriter) send(p []byte) (int, error) {
	if len(p) > 0 {
		c.begin()
	}
	body := c.body
	if body == nil {
		body = c.w
	}
	n, err := body.Write(p)
	c.n += int64(n)
	c.m.ClipBytes.Add(float64(n))
	return n, err
}

// begin sends the status and headers before the first byte.
func (c *ClipWriter) begin() {
	if c.n == 0 && c.first.IsZero() {
		c.first = time.Now()
		c.w.Header().Set("Content-Type", "video/mp4")
		c.w.WriteHeader(cmp.Or(c.status, http.StatusOK))
	}
}

// vectoredClipWriter is a ClipWriter whose response takes vectors
// (Deps.Vectored): the clip's writer gathers only small pieces and
// hands each flush over in one call.
type vectoredClipWriter struct{ *ClipWriter }

// WriteBuffers sends a flush of the clip's writer in one vector through
// the body's stall.Writer, and as Writes before the source is ready.
func (vc vectoredClipWriter) WriteBuffers(v [][]byte) (int64, error) {
	c := vc.ClipWriter
	bw, ok := c.body.(clipio.BuffersWriter)
	if !ok || c.ready != nil && !c.ready() {
		return stall.WriteEach(c, v)
	}
	if err := c.Flush(); err != nil {
		return 0, err
	}
	c.begin()
	n, err := bw.WriteBuffers(v)
	c.n += n
	c.m.ClipBytes.Add(float64(n))
	return n, err
}
