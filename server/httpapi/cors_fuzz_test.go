package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzCORS feeds the CORS rule what a stranger controls: the Origin, the
// headers a preflight asks for, and an operator's --allow-origin. A
// canonical origin is its own canonical form and allows itself; a
// preflight's Allow-Headers is either the SDK's list or the asked list when
// that is header names only, so nothing else is written back.
func FuzzCORS(f *testing.F) {
	f.Add("https://App.Example:443", "authorization, x-amz-date", "https://app.example")
	f.Add("http://[::1]:8080", "", "http://localhost:3000")
	f.Add("null", "x\r\ny: z", "https://a.b/path")
	f.Add("https://a.b", strings.Repeat("x-a,", 2000), "ftp://a.b")
	f.Fuzz(func(t *testing.T, origin, asked, allow string) {
		if co, err := CanonicalOrigin(allow); err == nil {
			again, err := CanonicalOrigin(co)
			if err != nil || again != co {
				t.Fatalf("CanonicalOrigin(%q) = %q, but that gives %q, %v", allow, co, again, err)
			}
			c, err := NewCORS([]string{allow}, true)
			if err != nil {
				t.Fatalf("NewCORS(%q): %v", allow, err)
			}
			if !c.Allows(co) {
				t.Fatalf("an origin named %q does not allow %q", allow, co)
			}
		}
		c, err := NewCORS(nil, true)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodOptions, "/getClip", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", asked)
		w := httptest.NewRecorder()
		answered := c.Answer(w, r, "POST", c.Allows(origin))
		if answered != (origin != "") {
			t.Fatalf("origin %q: answered %v", origin, answered)
		}
		got := w.Header().Get("Access-Control-Allow-Headers")
		if got != "" && got != asked && got != strings.Join(SDKRequestHeaders, ", ") {
			t.Fatalf("Allow-Headers %q is neither the asked list nor the SDK's", got)
		}
		if got == asked && validHeaderList(asked) != nil {
			t.Fatalf("Allow-Headers echoes %q, which is not a list of header names", asked)
		}
	})
}
