package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCanonicalOrigin: origins are kept as browsers write them in Origin,
// and anything that is not an origin is refused with a reason.
func TestCanonicalOrigin(t *testing.T) {
	for _, c := range []struct {
		in, want string
		bad      bool
	}{
		{in: "https://app.example", want: "https://app.example"},
		{in: "HTTPS://App.Example/", want: "https://app.example"},
		{in: "http://127.0.0.1:3000", want: "http://127.0.0.1:3000"},
		{in: "http://localhost:80", want: "http://localhost"},
		{in: "https://app.example:443", want: "https://app.example"},
		{in: "http://app.example:443", want: "http://app.example:443"},
		{in: "http://[::1]:8080", want: "http://[::1]:8080"},
		{in: " https://app.example ", want: "https://app.example"},
		{in: "app.example", bad: true},
		{in: "*", bad: true},
		{in: "null", bad: true},
		{in: "ftp://app.example", bad: true},
		{in: "https://app.example/path", bad: true},
		{in: "https://app.example?x=1", bad: true},
		{in: "https://user@app.example", bad: true},
		{in: "https://app.example#x", bad: true},
		{in: "https://app.example:0", bad: true},
		{in: "https://app.example:99999", bad: true},
		{in: "https://", bad: true},
	} {
		got, err := CanonicalOrigin(c.in)
		if c.bad {
			assert.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
}

// TestCORSAllows: a named origin alone, every origin only when none is
// named and requests carry a credential, none otherwise.
func TestCORSAllows(t *testing.T) {
	for _, c := range []struct {
		name    string
		origins []string
		any     bool
		origin  string
		want    bool
	}{
		{"local, nothing named", nil, false, "https://app.example", false},
		{"local, named", []string{"https://app.example"}, false, "https://app.example", true},
		{"local, named, case", []string{"https://App.example"}, false, "https://APP.example", true},
		{"local, another", []string{"https://app.example"}, false, "https://evil.example", false},
		{"local, another port", []string{"http://127.0.0.1:3000"}, false, "http://127.0.0.1:3001", false},
		{"local, null", []string{"https://app.example"}, false, "null", false},
		{"no origin", []string{"https://app.example"}, true, "", false},
		{"credentials, any", nil, true, "https://evil.example", true},
		{"credentials, null", nil, true, "null", true},
		{"credentials, named restricts", []string{"https://app.example"}, true, "https://evil.example", false},
		{"credentials, named", []string{"https://app.example"}, true, "https://app.example", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewCORS(c.origins, c.any)
			require.NoError(t, err)
			assert.Equal(t, c.want, p.Allows(c.origin))
		})
	}
	_, err := NewCORS([]string{"https://app.example/x"}, true)
	assert.Error(t, err)
}

// TestCORSAnswer: a preflight is answered whole from its headers (origin,
// the resource's methods, the asked-for headers, Max-Age) or refused; an
// actual request gets the origin and the exposed headers; every answer
// says Vary: Origin.
func TestCORSAnswer(t *testing.T) {
	const origin = "https://app.example"
	// What the JS SDK v3 asks for before a KVS call from a browser.
	sdk := "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-date,x-amz-security-token,x-amz-user-agent"
	p, err := NewCORS([]string{origin}, false, "X-Kvsclip-Fragments")
	require.NoError(t, err)
	for _, c := range []struct {
		name     string
		method   string
		hdr      map[string]string
		answered bool
		status   int
		want     map[string]string // "" means absent
	}{
		{name: "preflight of an SDK call", method: "OPTIONS",
			hdr:      map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": sdk},
			answered: true, status: http.StatusNoContent,
			want: map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "POST",
				"Access-Control-Allow-Headers": sdk, "Access-Control-Max-Age": "7200", "Access-Control-Allow-Private-Network": ""}},
		{name: "preflight asking for no headers", method: "OPTIONS",
			hdr:      map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"},
			answered: true, status: http.StatusNoContent,
			want: map[string]string{"Access-Control-Allow-Headers": strings.Join(SDKRequestHeaders, ", ")}},
		{name: "preflight asking for a non-name", method: "OPTIONS",
			hdr:      map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-a, x\r\nb"},
			answered: true, status: http.StatusNoContent,
			want: map[string]string{"Access-Control-Allow-Headers": strings.Join(SDKRequestHeaders, ", ")}},
		{name: "preflight asking for too many", method: "OPTIONS",
			hdr:      map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": strings.Repeat("x-a,", maxAllowHeaders)},
			answered: true, status: http.StatusNoContent,
			want: map[string]string{"Access-Control-Allow-Headers": strings.Join(SDKRequestHeaders, ", ")}},
		{name: "preflight to a private network", method: "OPTIONS",
			hdr:      map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Private-Network": "true"},
			answered: true, status: http.StatusNoContent,
			want: map[string]string{"Access-Control-Allow-Private-Network": "true"}},
		{name: "preflight of another origin", method: "OPTIONS",
			hdr:      map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
			answered: true, status: http.StatusUnauthorized,
			want: map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "", "X-Amzn-ErrorType": "NotAuthorizedException"}},
		{name: "signed call", method: "POST", hdr: map[string]string{"Origin": origin},
			want: map[string]string{"Access-Control-Allow-Origin": origin,
				"Access-Control-Expose-Headers": strings.Join(ExposedHeaders, ", ") + ", X-Kvsclip-Fragments", "Access-Control-Allow-Methods": ""}},
		{name: "call of another origin", method: "POST", hdr: map[string]string{"Origin": "https://evil.example"},
			want: map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Expose-Headers": ""}},
		{name: "OPTIONS without a method asked is no preflight", method: "OPTIONS", hdr: map[string]string{"Origin": origin},
			want: map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": ""}},
		{name: "no origin", method: "GET", want: map[string]string{"Access-Control-Allow-Origin": ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "/getDataEndpoint", nil)
			for k, v := range c.hdr {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			got := p.Answer(w, r, "POST", p.Allows(r.Header.Get("Origin")))
			assert.Equal(t, c.answered, got)
			if c.answered {
				assert.Equal(t, c.status, w.Code)
				assert.Contains(t, w.Header().Values("Vary"), "Access-Control-Request-Headers")
			}
			assert.Contains(t, w.Header().Values("Vary"), "Origin")
			for k, v := range c.want {
				assert.Equal(t, v, w.Header().Get(k), k)
			}
		})
	}
}

// BenchmarkCORSAnswer: the cost every API call and segment pays.
func BenchmarkCORSAnswer(b *testing.B) {
	p, _ := NewCORS(nil, true)
	r := httptest.NewRequest("POST", "/getMedia", nil)
	r.Header.Set("Origin", "https://app.example")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.Header())
		p.Answer(w, r, "POST", p.Allows("https://app.example"))
	}
}
