package control

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUpdateDataRetention: retention moves by the change under the
// stream's version, never below 0 or past ten years, and a stale version
// changes nothing.
func TestUpdateDataRetention(t *testing.T) {
	p := newTestPlane(t)
	code, out := p.call("CreateStream", `{"StreamName":"cam","DataRetentionInHours":24}`)
	require.Equal(t, http.StatusOK, code, out)
	described := func() (int32, string) {
		_, out := p.call("DescribeStream", `{"StreamName":"cam"}`)
		info := out["StreamInfo"].(map[string]any)
		return int32(info["DataRetentionInHours"].(float64)), info["Version"].(string)
	}
	for _, c := range []struct {
		name, op  string
		change    int
		stale     bool
		want      int32
		exception string
	}{
		{"increase", "INCREASE_DATA_RETENTION", 48, false, 72, ""},
		{"decrease", "DECREASE_DATA_RETENTION", 70, false, 2, ""},
		{"below zero", "DECREASE_DATA_RETENTION", 3, false, 2, "InvalidArgumentException"},
		{"past ten years", "INCREASE_DATA_RETENTION", maxRetentionHours, false, 2, "InvalidArgumentException"},
		{"stale version", "INCREASE_DATA_RETENTION", 1, true, 2, "VersionMismatchException"},
		{"unknown operation", "DOUBLE", 1, false, 2, "InvalidArgumentException"},
		{"no change", "INCREASE_DATA_RETENTION", 0, false, 2, "InvalidArgumentException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, before := described()
			version := before
			if c.stale {
				version = "stale0version"
			}
			code, out := p.call("UpdateDataRetention", `{"StreamName":"cam","CurrentVersion":"`+version+`","Operation":"`+c.op+`","DataRetentionChangeInHours":`+strconv.Itoa(c.change)+`}`)
			if c.exception == "" {
				assert.Equal(t, http.StatusOK, code, out)
			} else {
				assert.Equal(t, c.exception, out["__type"], out)
			}
			got, after := described()
			assert.Equal(t, c.want, got)
			if c.exception != "" {
				assert.Equal(t, before, after, "a refused change keeps the version")
			} else {
				assert.NotEqual(t, before, after, "a change moves the version")
			}
		})
	}
}
