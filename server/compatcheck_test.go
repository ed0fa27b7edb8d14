package server_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The checks and the table of the client conformance run, on made-up
// reports: what TestClientCompatibility would let through or not.

func TestCompatClientProblems(t *testing.T) {
	plan := []planEntry{{"kinesisvideo", "CreateStream"}, {"kinesis-video-archived-media", "GetImages"}}
	line := func(op, outcome string) compatLine {
		service := "kinesisvideo"
		if op == "GetImages" {
			service = "kinesis-video-archived-media"
		}
		return compatLine{Op: op, Service: service, Client: "boto3", Outcome: outcome}
	}
	cases := []struct {
		name  string
		lines []compatLine
		want  []string // a word of each problem, in order
	}{
		{"all answered", []compatLine{line("CreateStream", "ok"), line("GetImages", "ok")}, nil},
		{"typed error", []compatLine{line("CreateStream", "ResourceInUseException"), line("GetImages", "NOT_EXPOSED")}, nil},
		{"unknown operation", []compatLine{line("CreateStream", "ok"), line("GetImages", "UNKNOWN_OPERATION")}, []string{"UnknownOperation"}},
		{"untyped failure", []compatLine{line("CreateStream", "other"), line("GetImages", "ok")}, []string{"without a typed answer"}},
		{"no outcome", []compatLine{line("CreateStream", ""), line("GetImages", "ok")}, []string{"without a typed answer"}},
		{"operation not reported", []compatLine{line("CreateStream", "ok")}, []string{"did not report GetImages"}},
		{"another client's line", []compatLine{{Op: "CreateStream", Service: "kinesisvideo", Client: "js-v3", Outcome: "ok"}, line("GetImages", "ok")}, []string{"reported as client"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := clientProblems("boto3", plan, c.lines)
			require.Len(t, got, len(c.want), "%q", got)
			for i, w := range c.want {
				assert.Contains(t, got[i], w)
			}
		})
	}
}

func TestCompatDisagreements(t *testing.T) {
	cases := []struct {
		name     string
		measured map[string][]compatLine
		want     int
	}{
		{"same answers, CLI spelling", map[string][]compatLine{
			"aws-cli": {{Op: "GetHlsStreamingSessionUrl", Outcome: "ok"}},
			"js-v3":   {{Op: "GetHLSStreamingSessionURL", Outcome: "ok"}},
		}, 0},
		{"one client lacks it", map[string][]compatLine{
			"boto3": {{Op: "GetMedia", Outcome: "ok"}},
			"go-v2": {{Op: "GetMedia", Outcome: "NOT_EXPOSED"}},
		}, 0},
		{"different answers", map[string][]compatLine{
			"boto3": {{Op: "GetClip", Outcome: "ok"}},
			"js-v3": {{Op: "GetClip", Outcome: "InvalidArgumentException"}},
		}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Len(t, disagreements(c.measured), c.want)
		})
	}
}

func TestCompatTable(t *testing.T) {
	measured := map[string][]compatLine{
		"aws-cli": {
			{Op: "GetMedia", Service: "kinesis-video-media", Version: "1.0", Outcome: "ok"},
			{Op: "GetHlsStreamingSessionUrl", Service: "kinesis-video-archived-media", Version: "1.0", Outcome: "ok"},
		},
		"boto3": {
			{Op: "GetHLSStreamingSessionURL", Service: "kinesis-video-archived-media", Version: "2.0", Outcome: "ok"},
			{Op: "CreateSignalingChannel", Service: "kinesisvideo", Version: "2.0", Outcome: "AccessDeniedException"},
			{Op: "GetImages", Service: "kinesis-video-archived-media", Version: "2.0", Outcome: "UNKNOWN_OPERATION"},
		},
		"go-v2": {{Op: "GetMedia", Service: "kinesis-video-media", Outcome: "NOT_EXPOSED"}},
	}
	table := compatTable(measured, map[string][]string{
		"gethlsstreamingsessionurl": {"TestA", "TestB", "TestC", "TestD"},
	})
	rows := strings.Split(strings.TrimSpace(table), "\n")
	require.Len(t, rows, 2+4+1, table)
	assert.Contains(t, rows[0], "AWS CLI 1.0 |")
	assert.Contains(t, rows[0], "boto3 2.0 |")
	// Rows by service, then name; the SDK's spelling of a name wins.
	assert.True(t, strings.HasPrefix(rows[2], "| CreateSignalingChannel | kinesisvideo | — | `AccessDeniedException` |"), rows[2])
	assert.True(t, strings.HasPrefix(rows[3], "| GetHLSStreamingSessionURL |"), rows[3])
	assert.True(t, strings.HasSuffix(rows[3], "| TestA, TestB, TestC (+1) |"), rows[3])
	assert.Contains(t, rows[4], "| GetImages | kinesis-video-archived-media | — | **404 UnknownOperation** |")
	assert.True(t, strings.HasPrefix(rows[5], "| GetMedia | kinesis-video-media | ok | — | — | — | — |"), rows[5])
	// ok / typed / unknown / not exposed per client, and the Go tests.
	assert.Equal(t, "| **ok / typed / unknown / not exposed** | | 2 / 0 / 0 / 2 | 1 / 1 / 1 / 1 | 0 / 0 / 0 / 4 | 0 / 0 / 0 / 4 | 1 of 4 operations |", rows[6])
}

func TestCompatTableInReadme(t *testing.T) {
	doc := "intro\n" + compatBegin + "| old |\n" + compatEnd + "outro\n"
	got, err := replaceCompatTable(doc, "| new |\n")
	require.NoError(t, err)
	assert.Equal(t, "intro\n"+compatBegin+"| new |\n"+compatEnd+"outro\n", got)
	table, err := compatTableOf(got)
	require.NoError(t, err)
	assert.Equal(t, "| new |\n", table)
	_, err = compatTableOf("no table here")
	assert.Error(t, err)
	_, err = replaceCompatTable(compatBegin+"| unended |\n", "x")
	assert.Error(t, err)
}
