package playback

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
)

func testSession(now time.Time) *Session {
	return &Session{ID: NewID(), Protocol: kvs.HLS, StreamARN: "arn:aws:kinesisvideo:us-west-2:000000000000:stream/cam/1",
		Stream: "cam", Mode: kvs.OnDemand, Selector: kvs.ProducerTimestamp, Start: 1, End: 2, HasEnd: true,
		Container: kvs.FragmentedMP4, MaxResults: 1000, Created: now.UnixMilli(), Expires: now.Add(5 * time.Minute).UnixMilli()}
}

func TestTokenRoundTrip(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	g, err := NewSigner("secret")
	require.NoError(t, err)
	s := testSession(now)
	tok := g.Sign(s)
	got, err := g.Verify(tok, now)
	require.NoError(t, err)
	assert.Equal(t, s, got)

	// Servers with the same secret agree; with another, or a random key, not.
	g2, _ := NewSigner("secret")
	_, err = g2.Verify(tok, now)
	assert.NoError(t, err)
	other, _ := NewSigner("other")
	_, err = other.Verify(tok, now)
	assert.ErrorIs(t, err, ErrBadToken)
	random, _ := NewSigner("")
	_, err = random.Verify(tok, now)
	assert.ErrorIs(t, err, ErrBadToken)
}

func TestTokenRejects(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	g, _ := NewSigner("secret")
	tok := g.Sign(testSession(now))
	payload, sig, _ := strings.Cut(tok, ".")
	// A payload naming another stream, with the original signature.
	other := testSession(now)
	other.StreamARN = "arn:aws:kinesisvideo:us-west-2:000000000000:stream/other/1"
	otherPayload, _, _ := strings.Cut(g.Sign(other), ".")
	flip := []byte(payload)
	flip[10] ^= 1
	cases := []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"empty", "", now, ErrBadToken},
		{"no signature", payload, now, ErrBadToken},
		{"tampered payload", string(flip) + "." + sig, now, ErrBadToken},
		{"other stream's payload", otherPayload + "." + sig, now, ErrBadToken},
		{"tampered signature", payload + "." + sig[:len(sig)-2] + "AA", now, ErrBadToken},
		{"not base64", "!!!." + sig, now, ErrBadToken},
		{"too long", strings.Repeat("a", maxTokenLen+1), now, ErrBadToken},
		{"expired", tok, now.Add(5 * time.Minute), ErrExpired},
		{"valid until expiry", tok, now.Add(5*time.Minute - time.Millisecond), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := g.Verify(c.token, c.at)
			if c.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, c.want)
		})
	}
}

// goldenToken is a token signed with the key of "secret" before the
// session's words were typed; goldenSession is what it carries.
const goldenToken = "eyJpZCI6IkFBQUFBQUFBQUFBQUFBQUFBQUFBQUEiLCJwIjoiSExTIiwiYXJuIjoiYXJuOmF3czpraW5lc2lzdmlkZW86dXMtd2VzdC0yOjAwMDAwMDAwMDAwMDpzdHJlYW0vY2FtLzEiLCJzIjoiY2FtIiwibSI6IkxJVkVfUkVQTEFZIiwic2VsIjoiUFJPRFVDRVJfVElNRVNUQU1QIiwiYiI6MTcwMDAwMDAwMDAwMCwiZSI6MTcwMDAwMDA2MDAwMCwiaGUiOnRydWUsImMiOiJNUEVHX1RTIiwiZCI6Ik9OX0RJU0NPTlRJTlVJVFkiLCJ0IjoiQUxXQVlTIiwibiI6Ik5FVkVSIiwieCI6NSwidGQiOjIsImF0IjoxNzAwMDAwMDAwMDAwLCJleHAiOjE3MDAwMDAzMDAwMDB9.iYlZ8fsCtjU46tTlU_S6_GGTui5bRdTfmCbr3_hUjfI"

var goldenSession = Session{ID: "AAAAAAAAAAAAAAAAAAAAAA", Protocol: kvs.HLS, StreamARN: "arn:aws:kinesisvideo:us-west-2:000000000000:stream/cam/1",
	Stream: "cam", Mode: kvs.LiveReplay, Selector: kvs.ProducerTimestamp, Start: 1700000000000, End: 1700000060000, HasEnd: true,
	Container: kvs.MPEGTS, Discontinuity: kvs.OnDiscontinuity, DisplayTimestamp: kvs.DisplayAlways, DisplayNumber: kvs.DisplayNever,
	MaxResults: 5, Target: 2, Created: 1700000000000, Expires: 1700000300000}

// TestTokenCompatible: a session URL handed out before still verifies, to
// the same session, and the same session signs to the same token.
func TestTokenCompatible(t *testing.T) {
	g, err := NewSigner("secret")
	require.NoError(t, err)
	got, err := g.Verify(goldenToken, time.UnixMilli(goldenSession.Created))
	require.NoError(t, err)
	assert.Equal(t, &goldenSession, got)
	assert.Equal(t, goldenToken, g.Sign(&goldenSession))
}

func TestTokenIDsDiffer(t *testing.T) {
	assert.NotEqual(t, NewID(), NewID())
	assert.Len(t, NewID(), 22) // 128 bits, base64url
}

// FuzzVerify feeds the token parser anything: it never panics, and what it
// accepts is what the key signed.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	g, _ := NewSigner("secret")
	f.Add(g.Sign(testSession(now)))
	f.Add("e30.AAAA")
	f.Add("")
	f.Add(".")
	f.Fuzz(func(t *testing.T, tok string) {
		s, err := g.Verify(tok, now)
		if err != nil {
			return
		}
		require.Equal(t, tok, g.Sign(s), "an accepted token is the key's signature of its session")
	})
}
