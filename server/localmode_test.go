package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server"
)

// TestLocalModeRefusesWebPages: without credentials, a request for
// another host name (DNS rebinding) or a cross-site one (a form post, a
// fetch from another origin) is refused and creates nothing; the SDKs,
// the producer's port-less Host and the server's own page are served.
func TestLocalModeRefusesWebPages(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.Credentials = nil })
	own := r.url // http://127.0.0.1:port
	port := own[strings.LastIndex(own, ":")+1:]
	for i, c := range []struct {
		name, method, path, host string
		hdr                      map[string]string
		ok                       bool
	}{
		{"SDK-like JSON", "POST", "/createStream", "", map[string]string{"Content-Type": "application/json"}, true},
		{"localhost with the port", "POST", "/createStream", "localhost:" + port, nil, true},
		{"[::1] with the port", "POST", "/createStream", "[::1]:" + port, nil, true},
		{"loopback without a port (producer SDK)", "POST", "/createStream", "127.0.0.1", nil, true},
		{"the page's own origin", "POST", "/createStream", "", map[string]string{"Origin": own, "Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}, true},
		{"rebound name", "POST", "/createStream", "attacker.example:" + port, nil, false},
		{"rebound name, page", "GET", "/", "attacker.example:" + port, nil, false},
		{"another port", "POST", "/createStream", "127.0.0.1:1", nil, false},
		{"form post from another site", "POST", "/createStream", "", map[string]string{"Origin": "https://attacker.example", "Content-Type": "text/plain"}, false},
		{"text/plain without Origin", "POST", "/createStream", "", map[string]string{"Content-Type": "text/plain;charset=UTF-8"}, false},
		{"urlencoded form", "POST", "/createStream", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, false},
		{"JSON fetch from another origin", "POST", "/createStream", "", map[string]string{"Origin": "https://attacker.example", "Content-Type": "application/json"}, false},
		{"Sec-Fetch-Site cross-site", "POST", "/createStream", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"null origin", "POST", "/createStream", "", map[string]string{"Origin": "null"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "s" + string(rune('a'+i))
			var body *strings.Reader
			if c.method == "POST" {
				body = strings.NewReader(`{"StreamName":"` + name + `","DataRetentionInHours":1}`)
			} else {
				body = strings.NewReader("")
			}
			req, err := http.NewRequest(c.method, r.url+c.path, body)
			require.NoError(t, err)
			if c.host != "" {
				req.Host = c.host
			}
			for k, v := range c.hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			if !c.ok {
				assert.Contains(t, []int{400, 401}, resp.StatusCode)
			} else {
				assert.Equal(t, 200, resp.StatusCode)
			}
			if c.method == "POST" {
				_, err = r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
				assert.Equal(t, c.ok, err == nil, "stream created")
			}
		})
	}
}
