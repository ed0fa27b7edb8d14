package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kvsclip/kvsclip/kvs"
)

// CORS is which other origins' web pages may read the server's answers
// (Cross-Origin Resource Sharing), and the headers that tell the browser.
// It answers as KVS's endpoints do (a preflight: 2xx, the origin allowed,
// the asked-for method and headers allowed, x-amzn-RequestId and
// X-Amzn-ErrorType exposed, a long Max-Age), except that it names the
// origin rather than "*" so that an operator's list can restrict it, and
// says Vary: Origin.
//
// CORS only governs what a browser lets a page read; the credential of a
// request (its signature, a session token, or in local mode being on this
// machine) is checked as it is for every client.
type CORS struct {
	anyOrigin bool            // every origin may read: the list is empty and a request carries its credential
	origins   map[string]bool // the operator's list, canonical
	expose    string          // Access-Control-Expose-Headers
}

// CORSMaxAge is how long a browser may keep a preflight's answer: 2 hours,
// the most Chromium keeps one (Firefox keeps up to a day; KVS says 172800
// and the browsers cut it to these). A change of the allowed origins
// reaches every browser within it.
const CORSMaxAge = 7200

// maxAllowHeaders bounds the Access-Control-Request-Headers a preflight
// answer repeats: the JS SDK asks for about ten names (some 150 bytes);
// a longer list is not a client of this API and gets only the SDK's.
const maxAllowHeaders = 4 << 10

// SDKRequestHeaders are the headers the AWS SDKs for JavaScript (v3) and
// the KVS producers send with a call, which a preflight allows when a
// browser asks for none or for too many to repeat.
var SDKRequestHeaders = []string{
	"authorization", "content-type", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
	"x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request",
	"x-amzn-stream-name", "x-amzn-stream-arn", "x-amzn-fragment-timecode-type",
	"x-amzn-producer-start-timestamp", "x-amzn-fragment-acknowledgment-required",
}

// ExposedHeaders are the response headers of every route that a page's
// client reads beyond the ones browsers always expose (Content-Type,
// Content-Length and the caching ones): the request id and error type the
// SDKs decode, and GetClip's ranges.
var ExposedHeaders = []string{
	"x-amzn-RequestId", "X-Amzn-ErrorType", "x-amzn-ErrorMessage", "Date",
	"Content-Type", "Content-Range", "Accept-Ranges", "ETag",
}

// NewCORS makes the rule: the origins named may read answers; with none
// named, every origin may if anyWithoutList (a server whose requests carry
// a credential), else none. expose adds headers to ExposedHeaders (the
// server's own, such as the clip provenance headers).
func NewCORS(origins []string, anyWithoutList bool, expose ...string) (*CORS, error) {
	c := &CORS{origins: map[string]bool{}, expose: strings.Join(append(append([]string{}, ExposedHeaders...), expose...), ", ")}
	for _, o := range origins {
		co, err := CanonicalOrigin(o)
		if err != nil {
			return nil, err
		}
		c.origins[co] = true
	}
	c.anyOrigin = anyWithoutList && len(c.origins) == 0
	return c, nil
}

// CanonicalOrigin returns an origin as browsers write it in the Origin
// header (scheme://host[:port], lower case, no default port), or why s is
// not one: an origin has no path, query or user, and is http or https.
func CanonicalOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("origin %q: %w", s, err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", fmt.Errorf("origin %q: want http:// or https://", s)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("origin %q: no host", s)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		return "", fmt.Errorf("origin %q: an origin is scheme://host[:port], nothing more", s)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("origin %q: bad port", s)
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		return scheme + "://" + host, nil
	}
	return scheme + "://" + host + ":" + port, nil
}

// Allows reports whether a page of origin (an Origin header's value) may
// read answers. "null" (a sandboxed or file: page) is allowed only where
// every origin is.
func (c *CORS) Allows(origin string) bool {
	if origin == "" {
		return false
	}
	return c.anyOrigin || c.origins[strings.ToLower(origin)]
}

// AnyOrigin reports whether every origin may read answers.
func (c *CORS) AnyOrigin() bool { return c.anyOrigin }

// IsPreflight reports whether r is a browser's CORS preflight: an OPTIONS
// request with an Origin, asking for a method. It carries no credential.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// Answer applies the rule to a request for a resource served with methods
// (such as "POST"), where allowed says whether the request's origin may
// read it (Allows, or the server's own origin). It answers a preflight
// whole, reporting true, with no read of anything but r's headers; for
// any other request it sets the headers the answer carries and reports
// false.
func (c *CORS) Answer(w http.ResponseWriter, r *http.Request, methods string, allowed bool) (answered bool) {
	h := w.Header()
	// The answer names the origin, so a cache must keep one per origin.
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if !IsPreflight(r) {
		if allowed && origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", c.expose)
		}
		return false
	}
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	if !allowed {
		WriteError(w, Errorf(kvs.NotAuthorized, "Pages of origin %s may not read this server's answers.", origin))
		return true
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", methods)
	h.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Get("Access-Control-Request-Headers")))
	h.Set("Access-Control-Max-Age", strconv.Itoa(CORSMaxAge))
	// Chromium asks before a public page reaches a private address (its
	// Private Network Access): an allowed origin may.
	if strings.EqualFold(r.Header.Get("Access-Control-Request-Private-Network"), "true") {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// allowHeaders is a preflight's Access-Control-Allow-Headers: the headers
// the browser asks for, as KVS answers (a header the API does not read
// does nothing: the request's signature, token or locality is what admits
// it), or the SDK's own when the list is missing, too long or not a list
// of header names.
func allowHeaders(asked string) string {
	if asked == "" || len(asked) > maxAllowHeaders || validHeaderList(asked) != nil {
		return strings.Join(SDKRequestHeaders, ", ")
	}
	return asked
}

// validHeaderList checks a comma-separated list of header names (RFC 9110
// tokens), so that nothing but names is written back.
func validHeaderList(s string) error {
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return errors.New("empty name")
		}
		for i := 0; i < len(name); i++ {
			if !isTokenChar(name[i]) {
				return fmt.Errorf("bad byte %q", name[i])
			}
		}
	}
	return nil
}

func isTokenChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}
