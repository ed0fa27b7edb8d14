package kvs_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kvsclip/kvsclip/kvs"
)

// checker is what every session word's type has.
type checker interface {
	Valid() bool
	Check(field string) error
}

// TestSessionWords: each word the API allows is valid and checks clean;
// anything else, the empty string and another field's word included, is
// the InvalidArgument that lists the allowed words in the model's order.
func TestSessionWords(t *testing.T) {
	cases := []struct {
		field string
		v     checker
		valid bool
		msg   string
	}{
		{"PlaybackMode", kvs.Live, true, ""},
		{"PlaybackMode", kvs.LiveReplay, true, ""},
		{"PlaybackMode", kvs.OnDemand, true, ""},
		{"PlaybackMode", kvs.PlaybackMode("SOMETIMES"), false, "PlaybackMode must be one of [LIVE LIVE_REPLAY ON_DEMAND]."},
		{"PlaybackMode", kvs.PlaybackMode("live"), false, "PlaybackMode must be one of [LIVE LIVE_REPLAY ON_DEMAND]."},
		{"ContainerFormat", kvs.FragmentedMP4, true, ""},
		{"ContainerFormat", kvs.MPEGTS, true, ""},
		{"ContainerFormat", kvs.ContainerFormat("MKV"), false, "ContainerFormat must be one of [FRAGMENTED_MP4 MPEG_TS]."},
		{"DiscontinuityMode", kvs.DiscontinuityAlways, true, ""},
		{"DiscontinuityMode", kvs.DiscontinuityNever, true, ""},
		{"DiscontinuityMode", kvs.OnDiscontinuity, true, ""},
		{"DiscontinuityMode", kvs.DiscontinuityMode(""), false, "DiscontinuityMode must be one of [ALWAYS NEVER ON_DISCONTINUITY]."},
		{"DisplayFragmentTimestamp", kvs.DisplayAlways, true, ""},
		{"DisplayFragmentNumber", kvs.DisplayNever, true, ""},
		{"DisplayFragmentTimestamp", kvs.DisplayMode("ON_DISCONTINUITY"), false, "DisplayFragmentTimestamp must be one of [ALWAYS NEVER]."},
		{"HLSFragmentSelector.FragmentSelectorType", kvs.ProducerTimestamp, true, ""},
		{"HLSFragmentSelector.FragmentSelectorType", kvs.ServerTimestamp, true, ""},
		{"DASHFragmentSelector.FragmentSelectorType", kvs.Selector("NOW"), false,
			"DASHFragmentSelector.FragmentSelectorType must be one of [PRODUCER_TIMESTAMP SERVER_TIMESTAMP]."},
	}
	for _, c := range cases {
		assert.Equal(t, c.valid, c.v.Valid(), "%s %v", c.field, c.v)
		err := c.v.Check(c.field)
		if c.valid {
			assert.NoError(t, err, "%s %v", c.field, c.v)
			continue
		}
		assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err), "%s %v", c.field, c.v)
		var ke *kvs.Error
		if assert.ErrorAs(t, err, &ke) {
			assert.Equal(t, c.msg, ke.Msg)
		}
	}
}

func TestProtocolValid(t *testing.T) {
	for _, c := range []struct {
		p  kvs.Protocol
		ok bool
	}{{kvs.HLS, true}, {kvs.DASH, true}, {"hls", false}, {"", false}} {
		assert.Equal(t, c.ok, c.p.Valid(), "%q", c.p)
	}
}

// TestSessionWordsJSON: a typed word encodes as its bare string, so a
// session token written before the types were still reads the same.
func TestSessionWordsJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		P kvs.Protocol
		M kvs.PlaybackMode
		C kvs.ContainerFormat
		D kvs.DiscontinuityMode
		T kvs.DisplayMode
	}{kvs.DASH, kvs.LiveReplay, kvs.MPEGTS, kvs.OnDiscontinuity, kvs.DisplayAlways})
	assert.NoError(t, err)
	assert.JSONEq(t, `{"P":"DASH","M":"LIVE_REPLAY","C":"MPEG_TS","D":"ON_DISCONTINUITY","T":"ALWAYS"}`, string(b))
}
