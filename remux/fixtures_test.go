package remux_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
)

// fixtureTrack is what one track of a generated fixture must become.
type fixtureTrack struct {
	codec   string // sample entry type in the manifest
	samples int    // blocks of the track in the input
	// What ffprobe reads from the clip's stream: codec name, profile, and
	// picture size or sample rate and channel count.
	probe string
}

// generatedFixture is a recording made by testdata/gen (make testdata).
type generatedFixture struct {
	file      string
	fragments int
	tracks    []fixtureTrack // video first, as in the input
	wantKind  kvs.Kind       // under the default (extended) profile
}

// The counts are the input's blocks per track, as mkv.NewBytesReader reads
// them; a clip keeps every one.
var generatedFixtures = []generatedFixture{
	{file: "h264-baseline-aac16k-mono", fragments: 3, tracks: []fixtureTrack{
		{"avc1", 75, "h264,Constrained Baseline,128,96"}, {"mp4a", 48, "aac,LC,16000,1"}}},
	{file: "h264-main-aac44k-stereo", fragments: 3, tracks: []fixtureTrack{
		{"avc1", 75, "h264,Main,128,96"}, {"mp4a", 131, "aac,LC,44100,2"}}},
	{file: "h264-high-bpyramid-aac48k-mono", fragments: 3, tracks: []fixtureTrack{
		{"avc1", 75, "h264,High,128,96"}, {"mp4a", 142, "aac,LC,48000,1"}}},
	{file: "h264-174x142-alaw", fragments: 3, tracks: []fixtureTrack{
		{"avc1", 75, "h264,High,174,142"}, {"alaw", 150, "pcm_alaw,,8000,1"}}},
	{file: "hevc-main-bframes-ulaw", fragments: 3, tracks: []fixtureTrack{
		{"hvc1", 75, "hevc,Main,128,96"}, {"ulaw", 150, "pcm_mulaw,,8000,1"}}},
	{file: "hevc-main10-174x142-aac16k-stereo", fragments: 2, tracks: []fixtureTrack{
		{"hvc1", 50, "hevc,Main 10,174,142"}, {"mp4a", 33, "aac,LC,16000,2"}}},
	{file: "h264-vfr-aac48k-stereo", fragments: 3, tracks: []fixtureTrack{
		{"avc1", 61, "h264,Main,128,96"}, {"mp4a", 142, "aac,LC,48000,2"}}},
	{file: "h264-audio-first-aac44k-mono", fragments: 2, tracks: []fixtureTrack{
		{"avc1", 50, "h264,Main,128,96"}, {"mp4a", 96, "aac,LC,44100,1"}}},
}

// TestFixtures clips each generated fixture and holds the MP4 against the
// input: it decodes without a message, and every frame is there with its
// size and presentation time (checkPackets).
func TestFixtures(t *testing.T) {
	for _, fx := range generatedFixtures {
		t.Run(fx.file, func(t *testing.T) {
			t.Parallel() // waits on ffmpeg and ffprobe; shares nothing
			data, err := os.ReadFile(filepath.Join("..", "testdata", fx.file+".getmedia.mkv"))
			require.NoError(t, err)
			want := expectSamples(t, data)
			require.Len(t, want, len(fx.tracks), "tracks in the input")
			for i, tr := range fx.tracks {
				require.Len(t, want[uint64(i+1)], tr.samples, "input track %d: regenerated fixture? update the table", i+1)
			}

			out, man, ok := clipOrFail(t, data, fx.wantKind)
			if !ok {
				return
			}
			for _, f := range man.Fragments {
				assert.Empty(t, f.Reason, "fragment %d", f.Index)
				assert.Zero(t, f.DroppedFrames, "fragment %d", f.Index)
			}
			assert.Equal(t, fx.fragments, included(man), "fragments in the clip")
			require.Len(t, man.Tracks, len(fx.tracks))
			for i, tr := range fx.tracks {
				assert.Equal(t, tr.codec, man.Tracks[i].Codec, "track %d codec", i+1)
				assert.Equal(t, tr.samples, man.Tracks[i].Samples, "track %d samples", i+1)
			}

			path := filepath.Join(t.TempDir(), "out.mp4")
			require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
			checkDecodes(t, path, false)
			checkPackets(t, path, want)
			got := probeStreams(t, path)
			require.Len(t, got, len(fx.tracks))
			for i, tr := range fx.tracks {
				assert.Equal(t, tr.probe, got[i], "stream %d as ffprobe reads it", i)
			}
		})
	}
}

// probeStreams lists the clip's streams as "codec,profile,width,height" for
// video and "codec,profile,rate,channels" for audio.
func probeStreams(t *testing.T, path string) []string {
	t.Helper()
	mediatest.Need(t, "ffprobe")
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries",
		"stream=codec_type,codec_name,profile,width,height,sample_rate,channels", "-of", "json", path).Output()
	require.NoError(t, err)
	var probe struct {
		Streams []struct {
			Type       string `json:"codec_type"`
			Name       string `json:"codec_name"`
			Profile    string `json:"profile"`
			Width      int    `json:"width"`
			Height     int    `json:"height"`
			SampleRate string `json:"sample_rate"`
			Channels   int    `json:"channels"`
		} `json:"streams"`
	}
	require.NoError(t, json.Unmarshal(out, &probe))
	var streams []string
	for _, s := range probe.Streams {
		fields := []string{s.Name, s.Profile}
		if s.Type == "video" {
			fields = append(fields, strconv.Itoa(s.Width), strconv.Itoa(s.Height))
		} else {
			fields = append(fields, s.SampleRate, strconv.Itoa(s.Channels))
		}
		streams = append(streams, strings.Join(fields, ","))
	}
	return streams
}
