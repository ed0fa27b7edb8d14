package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/sessions"
)

// onDemandHLS is an ON_DEMAND session request over [start, start+1h].
func onDemandHLS(stream string, start time.Time) *am.GetHLSStreamingSessionURLInput {
	return &am.GetHLSStreamingSessionURLInput{
		StreamName:   aws.String(stream),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{
			FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Hour))},
		},
	}
}

func TestHLSSessionErrors(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	r := newRig(t, func(c *server.Config) { c.Now = func() time.Time { return time.Unix(0, clock.Load()) } })
	r.createStream("cam", 24)
	r.createStream("empty", 24)
	r.createStream("noretention", 0)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start, 3)

	edit := func(f func(in *am.GetHLSStreamingSessionURLInput)) *am.GetHLSStreamingSessionURLInput {
		in := onDemandHLS("cam", start)
		f(in)
		return in
	}
	cases := []struct {
		name string
		in   *am.GetHLSStreamingSessionURLInput
		code string
		msg  string
	}{
		{"no stream", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.StreamName = nil }), "InvalidArgumentException", "StreamName"},
		{"unknown stream", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.StreamName = aws.String("nope") }), "ResourceNotFoundException", ""},
		{"bad mode", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.PlaybackMode = "SOMETIMES" }), "InvalidArgumentException", "PlaybackMode"},
		{"bad container", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.ContainerFormat = "MKV" }), "InvalidArgumentException", "ContainerFormat"},
		{"bad discontinuity mode", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.DiscontinuityMode = "SOMETIMES" }), "InvalidArgumentException", "DiscontinuityMode"},
		{"bad display", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.DisplayFragmentTimestamp = "MAYBE" }), "InvalidArgumentException", "DisplayFragmentTimestamp"},
		{"expires too short", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.Expires = aws.Int32(299) }), "InvalidArgumentException", "Expires"},
		{"expires too long", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.Expires = aws.Int32(43201) }), "InvalidArgumentException", "Expires"},
		{"max results 0", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.MaxMediaPlaylistFragmentResults = aws.Int64(0) }), "InvalidArgumentException", "MaxMediaPlaylistFragmentResults"},
		{"max results 5001", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.MaxMediaPlaylistFragmentResults = aws.Int64(5001) }), "InvalidArgumentException", "MaxMediaPlaylistFragmentResults"},
		{"on demand without selector", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.HLSFragmentSelector = nil }), "InvalidArgumentException", "HLSFragmentSelector"},
		{"on demand without end", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.HLSFragmentSelector.TimestampRange.EndTimestamp = nil }), "InvalidArgumentException", "EndTimestamp"},
		{"end before start", edit(func(in *am.GetHLSStreamingSessionURLInput) {
			in.HLSFragmentSelector.TimestampRange.EndTimestamp = aws.Time(start.Add(-time.Second))
		}), "InvalidArgumentException", "EndTimestamp"},
		{"range over 24 hours", edit(func(in *am.GetHLSStreamingSessionURLInput) {
			in.HLSFragmentSelector.TimestampRange.EndTimestamp = aws.Time(start.Add(25 * time.Hour))
		}), "InvalidArgumentException", "24 hours"},
		{"server end in the future", edit(func(in *am.GetHLSStreamingSessionURLInput) {
			in.HLSFragmentSelector.FragmentSelectorType = amtypes.HLSFragmentSelectorTypeServerTimestamp
			in.HLSFragmentSelector.TimestampRange.StartTimestamp = aws.Time(time.Now().Add(-time.Minute))
			in.HLSFragmentSelector.TimestampRange.EndTimestamp = aws.Time(time.Now().Add(time.Hour))
		}), "InvalidArgumentException", "past"},
		{"live with a range", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.PlaybackMode = amtypes.HLSPlaybackModeLive }), "InvalidArgumentException", "TimestampRange"},
		{"live without recent fragments", edit(func(in *am.GetHLSStreamingSessionURLInput) {
			in.PlaybackMode, in.HLSFragmentSelector = amtypes.HLSPlaybackModeLive, nil
			in.StreamName = aws.String("empty")
		}), "ResourceNotFoundException", ""},
		{"no fragments in range", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.StreamName = aws.String("empty") }), "ResourceNotFoundException", ""},
		{"no retention", edit(func(in *am.GetHLSStreamingSessionURLInput) { in.StreamName = aws.String("noretention") }), "NoDataRetentionException", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := r.media.GetHLSStreamingSessionURL(context.Background(), c.in)
			var ae smithy.APIError
			require.True(t, errors.As(err, &ae), "%v", err)
			assert.Equal(t, c.code, ae.ErrorCode())
			assert.Contains(t, ae.ErrorMessage(), c.msg)
		})
	}

	// The token: the URL is the credential, checked on every resource.
	u := hlsSession(t, r, onDemandHLS("cam", start))
	code, _ := fetchURL(t, u)
	require.Equal(t, http.StatusOK, code)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	tok := parsed.Query().Get("SessionToken")
	with := func(token string) string {
		q := url.Values{"SessionToken": {token}}
		return strings.SplitN(u, "?", 2)[0] + "?" + q.Encode()
	}
	// A session of another stream, with this one's signature.
	r.createStream("other", 24)
	putRecording(t, r, "other", "h264-aac-160x120.getmedia.mkv", true, start, 3)
	otherTok, _ := url.Parse(hlsSession(t, r, onDemandHLS("other", start)))
	otherPayload, _, _ := strings.Cut(otherTok.Query().Get("SessionToken"), ".")
	_, sig, _ := strings.Cut(tok, ".")
	tampered := []byte(tok)
	tampered[5] ^= 2
	for name, bad := range map[string]string{
		"no token":           strings.SplitN(u, "?", 2)[0],
		"tampered":           with(string(tampered)),
		"other stream":       with(otherPayload + "." + sig),
		"signature cut":      with(tok[:len(tok)-4]),
		"DASH resource":      strings.Replace(with(tok), "/hls/v1/getHLSMasterPlaylist.m3u8", "/dash/v1/getDASHManifest.mpd", 1),
		"unknown fragment":   strings.Replace(with(tok), "getHLSMasterPlaylist.m3u8", "getMP4MediaFragment.mp4", 1) + "&FragmentNumber=1",
		"bad fragment":       strings.Replace(with(tok), "getHLSMasterPlaylist.m3u8", "getMP4MediaFragment.mp4", 1) + "&FragmentNumber=x1",
		"TS of an fMP4 one":  strings.Replace(with(tok), "getHLSMasterPlaylist.m3u8", "getTSFragment.ts", 1) + "&FragmentNumber=1",
		"unknown resource":   strings.Replace(with(tok), "getHLSMasterPlaylist.m3u8", "getSomething", 1),
		"bad track":          with(tok) + "&TrackNumber=3",
		"undecodable query":  with(tok) + "&%zz",
		"token for the path": strings.Replace(u, "/hls/", "/nope/", 1),
	} {
		code, body := fetchURL(t, bad)
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest}, code, "%s: %s", name, body)
		assert.NotEqual(t, http.StatusOK, code, name)
	}
	// Expired: KVS's NotAuthorized, 401 as the model says.
	clock.Add(int64(5*time.Minute + time.Second))
	code, body := fetchURL(t, u)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, string(body), "NotAuthorizedException")
	assert.Contains(t, string(body), "expired")
}

func TestHLSSessionRate(t *testing.T) {
	fixed := time.Now()
	r := newRig(t, func(c *server.Config) { c.Now = func() time.Time { return fixed } })
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start, 2)
	for range sessions.CreateTPSPerStream {
		hlsSession(t, r, onDemandHLS("cam", start))
	}
	_, err := r.media.GetHLSStreamingSessionURL(context.Background(), onDemandHLS("cam", start))
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, "ClientLimitExceededException", ae.ErrorCode())
}

// TestSessionURLAcrossServers: servers sharing an archive and credentials
// accept each other's session URLs; one with other credentials does not.
func TestSessionURLAcrossServers(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", true, start, 2)
	u := hlsSession(t, r, onDemandHLS("cam", start))

	twin := newRig(t, withStore(r.store))
	code, body := fetchURL(t, strings.Replace(u, r.url, twin.url, 1))
	assert.Equal(t, http.StatusOK, code, string(body))

	other := newRig(t, withStore(r.store), func(c *server.Config) {
		c.Credentials = &server.Credentials{AccessKeyID: testKeyID, SecretAccessKey: "another-secret"}
	})
	code, _ = fetchURL(t, strings.Replace(u, r.url, other.url, 1))
	assert.Equal(t, http.StatusUnauthorized, code)
}

// TestSessionCodecs: HLS carries AAC audio only, as its requirements say;
// DASH carries G.711 too.
func TestSessionCodecs(t *testing.T) {
	r := newRig(t)
	r.createStream("alaw", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	putRecording(t, r, "alaw", "h264-174x142-alaw.getmedia.mkv", true, start, 2)
	_, err := r.media.GetHLSStreamingSessionURL(context.Background(), onDemandHLS("alaw", start))
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, "UnsupportedStreamMediaTypeException", ae.ErrorCode())

	out, err := r.media.GetDASHStreamingSessionURL(context.Background(), &am.GetDASHStreamingSessionURLInput{
		StreamName:   aws.String("alaw"),
		PlaybackMode: amtypes.DASHPlaybackModeOnDemand,
		DASHFragmentSelector: &amtypes.DASHFragmentSelector{
			FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.DASHTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Hour))},
		},
	})
	require.NoError(t, err)
	code, body := fetchURL(t, *out.DASHStreamingSessionURL)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), `contentType="audio"`)
	msg, ok := mediatest.Decode(t, *out.DASHStreamingSessionURL)
	assert.True(t, ok, msg)
}
