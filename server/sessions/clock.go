package sessions

import "net/http"

// TimePath is the path of the server's clock, which a dynamic DASH
// manifest's UTCTiming names: a player places the live edge by its own
// clock against the manifest's availabilityStartTime, so it must read the
// clock the manifest was made by, and without one it calls a time server
// of its library's choosing, outside the operator's network.
const TimePath = "/time"

// ServeTime answers GET /time with the server's clock as an ISO 8601 time
// in UTC to the millisecond (UTCTiming's urn:mpeg:dash:utc:http-iso:2014
// scheme), never cached. It needs no credential: the time is no secret.
func (s *Sessions) ServeTime(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(s.d.Now().UTC().Format(isoMillis))) // a client gone away has nothing to answer
}

// isoMillis is ISO 8601 in UTC with milliseconds, which dash.js and shaka
// both parse (Date.parse).
const isoMillis = "2006-01-02T15:04:05.000Z"
