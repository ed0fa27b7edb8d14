package archived

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// parseRange reads a single-range Range header ("bytes=a-b", "bytes=a-",
// "bytes=-n") into [start, end). A list of ranges is answered with the
// whole clip (ok with the full span), as RFC 9110 allows; ok is false
// when the range is not satisfiable.
func parseRange(v string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, size, true
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, size, true
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size, true
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false
	}
	end = size
	if b != "" {
		last, err := strconv.ParseInt(b, 10, 64)
		if err != nil || last < start {
			return 0, 0, false
		}
		end = min(last+1, size)
	}
	return start, end, true
}

// ServeClipURL answers GET /clips/{stream}.mp4?start=&end=&selector=&format=:
// GetClip as a plain URL that a <video> element, curl or a download link
// can use, with byte ranges. Authorization is GetClip's (Deps.AuthorizeURL):
// a SigV4 signature in the Authorization header or in the query string (a
// presigned URL), or a loopback client when the server has no credentials.
// The server mounts it with its request accounting, which writes a
// returned error as the typed answer, and puts the request's
// httpapi.Call in its context.
func (s *Service) ServeClipURL(w http.ResponseWriter, r *http.Request) error {
	if err := s.d.AuthorizeURL(w, r); err != nil {
		return err
	}
	cs, err := s.parseClipURL(r)
	if err != nil {
		return err
	}
	return s.sendClip(r.Context(), w, r, cs)
}

// parseClipURL reads the stream from the path and the rest from the query.
func (s *Service) parseClipURL(r *http.Request) (*clipSpec, error) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".mp4")
	if !ok || name == "" {
		return nil, httpapi.InvalidArg("The clip URL is /clips/{stream}.mp4.")
	}
	st, err := s.d.Streams.Resolve(r.Context(), &name, nil)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	cs := &clipSpec{st: st, ranged: true, format: remux.FormatMP4}
	switch strings.ToUpper(q.Get("selector")) {
	case "", "PRODUCER", "PRODUCER_TIMESTAMP":
		cs.selector = kvs.ProducerTimestamp
	case "SERVER", "SERVER_TIMESTAMP":
		cs.selector = kvs.ServerTimestamp
	default:
		return nil, httpapi.InvalidArg("selector must be producer or server.")
	}
	if cs.format, err = remux.ParseFormat(q.Get("format")); err != nil {
		return nil, httpapi.InvalidArg("format must be mp4 or fmp4.")
	}
	if q.Get("format") == "" {
		cs.format = remux.FormatMP4
	}
	if cs.start, err = parseURLTime(q.Get("start")); err != nil {
		return nil, httpapi.InvalidArg("start: %v", err)
	}
	if cs.end, err = parseURLTime(q.Get("end")); err != nil {
		return nil, httpapi.InvalidArg("end: %v", err)
	}
	return cs, nil
}

// parseURLTime reads a start or end of the query (kvs.ParseMillis), in ms.
func parseURLTime(v string) (int64, error) {
	if v == "" {
		return 0, fmt.Errorf("required")
	}
	ms, err := kvs.ParseMillis(v)
	return int64(ms), err
}
