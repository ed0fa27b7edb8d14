package sessions

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server/httpapi"
)

func TestParseResourceQuery(t *testing.T) {
	cases := []struct {
		name, raw   string
		needsNumber bool
		wantErr     string
		want        resourceQuery
	}{
		{"token only", "SessionToken=abc", false, "", resourceQuery{token: "abc"}},
		{"no token", "FragmentNumber=1", false, "NotAuthorized", resourceQuery{}},
		{"number", "SessionToken=a&FragmentNumber=123", true, "", resourceQuery{token: "a", number: "123"}},
		{"number needed", "SessionToken=a", true, "InvalidArgument", resourceQuery{}},
		{"number not digits", "SessionToken=a&FragmentNumber=1a", true, "InvalidArgument", resourceQuery{}},
		{"number too long", "SessionToken=a&FragmentNumber=" + string(make([]byte, 0)) + "1" + repeatDigits(128), true, "InvalidArgument", resourceQuery{}},
		{"track", "SessionToken=a&TrackNumber=2", false, "", resourceQuery{token: "a", track: 2}},
		{"track 0", "SessionToken=a&TrackNumber=0", false, "InvalidArgument", resourceQuery{}},
		{"track 3", "SessionToken=a&TrackNumber=3", false, "InvalidArgument", resourceQuery{}},
		{"bad escape", "SessionToken=%zz", false, "InvalidArgument", resourceQuery{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseResourceQuery(c.raw, c.needsNumber)
			if c.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, httpapi.From(err).Code, c.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func repeatDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '7'
	}
	return string(b)
}

// FuzzResourceQuery: any query string is parsed without panic, and what is
// accepted is well formed.
func FuzzResourceQuery(f *testing.F) {
	for _, seed := range []string{
		"SessionToken=abc",
		"SessionToken=abc&FragmentNumber=91343852333181432392682062607743920146159169392",
		"SessionToken=abc&FragmentNumber=7&TrackNumber=1",
		"SessionToken=&FragmentNumber=",
		"SessionToken=a%2Eb&TrackNumber=99999999999999999999",
		"%zz", ";;&&==",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, raw string, needsNumber bool) {
		q, err := parseResourceQuery(raw, needsNumber)
		if err != nil {
			return
		}
		require.NotEmpty(t, q.token)
		if needsNumber {
			require.Regexp(t, `^[0-9]{1,128}$`, q.number)
		}
		require.LessOrEqual(t, q.track, uint32(maxTrackNumber))
		_, perr := url.ParseQuery(raw)
		require.NoError(t, perr)
	})
}
