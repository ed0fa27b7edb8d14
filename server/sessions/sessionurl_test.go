package sessions

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/playback"
)

// TestValidate: each operation's Validate checks its fields as the model
// does, without the stream or the clock, and the session its fields make
// takes the API's defaults.
func TestValidate(t *testing.T) {
	const onDemand = `"PlaybackMode":"ON_DEMAND","%s":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":1700000000,"EndTimestamp":1700000060}}`
	cases := []struct {
		name string
		hls  bool
		body string
		msg  string // the InvalidArgument's message; "" when valid
	}{
		{"live HLS", true, `{}`, ""},
		{"live DASH", false, `{}`, ""},
		{"mode", true, `{"PlaybackMode":"SOMETIMES"}`, "PlaybackMode must be one of [LIVE LIVE_REPLAY ON_DEMAND]."},
		{"container", true, `{"ContainerFormat":"MKV"}`, "ContainerFormat must be one of [FRAGMENTED_MP4 MPEG_TS]."},
		{"discontinuity", true, `{"DiscontinuityMode":"SOMETIMES"}`, "DiscontinuityMode must be one of [ALWAYS NEVER ON_DISCONTINUITY]."},
		{"display timestamp", true, `{"DisplayFragmentTimestamp":"MAYBE"}`, "DisplayFragmentTimestamp must be one of [ALWAYS NEVER]."},
		{"display number", false, `{"DisplayFragmentNumber":"MAYBE"}`, "DisplayFragmentNumber must be one of [ALWAYS NEVER]."},
		{"selector type", false, `{"DASHFragmentSelector":{"FragmentSelectorType":"NOW"}}`,
			"DASHFragmentSelector.FragmentSelectorType must be one of [PRODUCER_TIMESTAMP SERVER_TIMESTAMP]."},
		{"DASH field in HLS", true, `{"DisplayFragmentNumber":"ALWAYS"}`, "DASH fields are not HLS's."},
		{"HLS field in DASH", false, `{"ContainerFormat":"MPEG_TS"}`, "HLS fields are not DASH's."},
		{"live with a range", true, `{"HLSFragmentSelector":{"TimestampRange":{"StartTimestamp":1}}}`,
			"HLSFragmentSelector.TimestampRange must not be set when PlaybackMode is LIVE."},
		{"on demand without selector", false, `{"PlaybackMode":"ON_DEMAND"}`, "DASHFragmentSelector is required when PlaybackMode is ON_DEMAND."},
		{"on demand without end", true, `{"PlaybackMode":"ON_DEMAND","HLSFragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP","TimestampRange":{"StartTimestamp":1}}}`,
			"HLSFragmentSelector.TimestampRange.EndTimestamp is required when PlaybackMode is ON_DEMAND."},
		{"on demand", true, "{" + fmt.Sprintf(onDemand, "HLSFragmentSelector") + "}", ""},
		{"expires", true, `{"Expires":299}`, "Expires must be between 300 and 43200 seconds."},
		{"max results", false, `{"MaxManifestFragmentResults":5001}`, "MaxManifestFragmentResults must be between 1 and 5000."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.hls {
				var in hlsURLIn
				require.NoError(t, json.Unmarshal([]byte(c.body), &in))
				err = in.Validate()
			} else {
				var in dashURLIn
				require.NoError(t, json.Unmarshal([]byte(c.body), &in))
				err = in.Validate()
			}
			if c.msg == "" {
				assert.NoError(t, err)
				return
			}
			e := httpapi.From(err)
			assert.Equal(t, "InvalidArgumentException", e.Code)
			assert.Equal(t, c.msg, e.Message)
		})
	}
}

// TestSettingsDefaults: what an absent field means, by mode and protocol.
func TestSettingsDefaults(t *testing.T) {
	var in sessionRequest
	ss, expires, err := in.settings(kvs.HLS)
	require.NoError(t, err)
	assert.Equal(t, &playback.Session{Protocol: kvs.HLS, Mode: kvs.Live, Selector: kvs.ServerTimestamp, Container: kvs.FragmentedMP4,
		Discontinuity: kvs.DiscontinuityAlways, DisplayTimestamp: kvs.DisplayNever, MaxResults: defaultLiveResults}, ss)
	assert.Equal(t, 5*time.Minute, expires)

	// A producer-time selector: no discontinuity marks unless asked.
	sel := kvs.ProducerTimestamp
	mode := kvs.LiveReplay
	in = sessionRequest{PlaybackMode: &mode, HLSFragmentSelector: &sessionSelector{FragmentSelectorType: &sel}}
	in.HLSFragmentSelector.TimestampRange = &struct{ StartTimestamp, EndTimestamp *kvs.Millis }{StartTimestamp: new(kvs.Millis)}
	ss, _, err = in.settings(kvs.HLS)
	require.NoError(t, err)
	assert.Equal(t, kvs.DiscontinuityNever, ss.Discontinuity)
	assert.False(t, ss.HasEnd)

	// DASH: no HLS words; the fragment number shown never by default.
	ss, _, err = (&sessionRequest{}).settings(kvs.DASH)
	require.NoError(t, err)
	assert.Equal(t, kvs.ContainerFormat(""), ss.Container)
	assert.Equal(t, kvs.DisplayNever, ss.DisplayNumber)
}
