package server

import (
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/kvsclip/kvsclip/server/httpapi"
)

// Without credentials the server trusts whoever can reach it, which it
// limits to this machine (loopback clients). A web page open in a browser
// on this machine can reach it too, in two ways the checks below close:
//
//   - DNS rebinding: a name the page's site controls is made to resolve
//     to 127.0.0.1, and the browser, seeing the same origin, lets the page
//     read the answers. Its requests name that site in Host, so only a
//     loopback Host is served.
//   - Cross-site requests: a page may send a form post or a fetch without
//     a preflight ("simple" requests: text/plain or form bodies) to any
//     address, and although it cannot read the answer, the request acts.
//     The browser says where it comes from (Origin, Sec-Fetch-Site), and
//     the SDKs never send those bodies.
//
// Requests from the SDKs and from this server's own page pass both, and
// so do those from the origins the operator names (Config.AllowOrigins),
// which alone are told (CORS) that they may read the answers.

// localGuard returns why a request must be refused in local mode, or nil.
// allowedOrigin says the request comes from a page the operator named
// (Config.AllowOrigins), or the server's own, for a resource other
// origins may read: such a page may call, as the SDKs do.
func (s *Server) localGuard(r *http.Request, allowedOrigin bool) *httpapi.Error {
	if !s.loopbackHost(r) {
		return notAuthorized("This server has no credentials configured and answers only requests for localhost, 127.0.0.1 or [::1], not %q.", r.Host)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		// Reading is what the Host check protects; a cross-site GET
		// cannot read the answer.
		return nil
	}
	if !allowedOrigin {
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			return notAuthorized("Cross-site requests are refused (Sec-Fetch-Site: %s); kvsclip serve --allow-origin names the origins that may call.", site)
		}
		if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r) {
			return notAuthorized("Cross-site requests are refused (Origin %s); kvsclip serve --allow-origin names the origins that may call.", origin)
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		switch mt {
		case "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
			return httpapi.InvalidArg("A %s body is what a web form sends; the SDKs send JSON.", mt)
		}
	}
	return nil
}

// loopbackHost reports whether the request's Host names this machine by a
// loopback name or address, with the port the connection came in on or no
// port (the producer SDKs leave it out).
func (s *Server) loopbackHost(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	if port == "" {
		return true
	}
	la, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	return !ok || port == strconv.Itoa(la.Port)
}

// sameOrigin reports whether origin is the server's own as the request
// reached it: the page at / calling the API.
func sameOrigin(origin string, r *http.Request) bool {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return strings.EqualFold(origin, scheme+r.Host)
}
