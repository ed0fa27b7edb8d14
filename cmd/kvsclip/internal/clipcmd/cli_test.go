package clipcmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
)

// runCLI runs a `kvsclip clip` command line, args[0] being "clip", as the
// binary's main does.
func runCLI(stdin []byte, args ...string) (code int, stdout, stderr string) {
	if len(args) == 0 || args[0] != "clip" {
		panic("runCLI runs clip command lines")
	}
	var out, errb bytes.Buffer
	code = Run(args[1:], bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestClipWritesFileAndManifest(t *testing.T) {
	shared := mediatest.SharedDir(t)
	dir := t.TempDir()
	out, man := filepath.Join(dir, "clip.mp4"), filepath.Join(dir, "clip.json")
	code, _, stderr := runCLI(nil, "clip", "-o", out, "--manifest", man,
		filepath.Join(shared, "getmedia", "output_get_media.mkv"))
	require.Equal(t, 0, code, stderr)
	msg, ok := mediatest.Decode(t, out)
	require.True(t, ok, msg)
	assert.Empty(t, msg)

	raw, err := os.ReadFile(man)
	require.NoError(t, err)
	var m struct {
		Fragments []struct {
			Number            string   `json:"number"`
			ProducerTimestamp *float64 `json:"producer_timestamp"`
			ServerTimestamp   *float64 `json:"server_timestamp"`
			Bytes             int64    `json:"bytes"`
			Included          bool     `json:"included"`
			Reason            *string  `json:"reason"`
		} `json:"fragments"`
		Truncated *bool `json:"truncated"`
		Tracks    []struct {
			ID       int     `json:"id"`
			Codec    string  `json:"codec"`
			Samples  int     `json:"samples"`
			Duration float64 `json:"duration"`
		} `json:"tracks"`
	}
	require.NoError(t, json.Unmarshal(raw, &m))
	require.Len(t, m.Fragments, 5)
	assert.Equal(t, "91343852333181432392682062607743920146159169392", m.Fragments[0].Number)
	assert.Equal(t, 1511852108.513, *m.Fragments[0].ProducerTimestamp)
	assert.Equal(t, 1511852109.126, *m.Fragments[0].ServerTimestamp)
	assert.Contains(t, string(raw), `"producer_timestamp": 1511852108.513`, "timestamps are JSON numbers with ms")
	assert.Equal(t, int64(547925), m.Fragments[0].Bytes)
	assert.True(t, m.Fragments[0].Included)
	require.NotNil(t, m.Truncated)
	assert.False(t, *m.Truncated)
	require.Len(t, m.Tracks, 1)
	assert.Equal(t, "avc1", m.Tracks[0].Codec)
	assert.Equal(t, 300, m.Tracks[0].Samples)
	assert.InDelta(t, 10.0, m.Tracks[0].Duration, 0.1)
}

func TestClipStdinToStdout(t *testing.T) {
	data, err := os.ReadFile(fixture)
	require.NoError(t, err)
	code, stdout, stderr := runCLI(data, "clip")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "ftyp", stdout[4:8])
}

func TestClipFailures(t *testing.T) {
	type failure struct {
		name  string
		stdin []byte
		args  []string
		kind  string
		where string
	}
	cases := []failure{
		{"empty input", []byte{}, nil, "InvalidArgument", "standard input is empty"},
		{"garbage", []byte("<html>not a video</html>"), nil, "InvalidArgument", "standard input is not a Matroska/WebM file (it looks like text)"},
		{"missing file", nil, []string{filepath.Join(t.TempDir(), "no-such-file.mkv")}, "InvalidArgument", ""},
	}
	// Without the recordings only this subtest skips (fails under CI).
	t.Run("recordings", func(t *testing.T) {
		shared := mediatest.SharedDir(t)
		cases = append(cases,
			failure{"unsupported codec", nil, []string{filepath.Join(shared, "getmedia", "test_mixed_tags.mkv")},
				"UnsupportedStreamMediaType", "fragment 91343852333713038908964877623801423530396737899, track 1"},
			failure{"no media", nil, []string{filepath.Join(shared, "getmedia", "empty-mkv-with-tags.mkv")}, "ResourceNotFound", "empty-mkv-with-tags.mkv has no frames to clip"})
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "clip.mp4")
			code, _, stderr := runCLI(c.stdin, append([]string{"clip", "-o", out}, c.args...)...)
			assertClipFailed(t, code, stderr, dir, c.kind, c.where)
		})
	}
}

// assertClipFailed checks a failed `kvsclip clip`: exit 1, one line on
// stderr that starts with the error kind and contains want, and no file
// left in dir.
func assertClipFailed(t *testing.T, code int, stderr, dir, kind, want string) {
	t.Helper()
	assert.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 1, stderr)
	assert.True(t, strings.HasPrefix(lines[0], "kvsclip: "+kind+": "), lines[0])
	assert.Contains(t, lines[0], want)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "a failed clip leaves no file")
}

// TestClipFormats: progressive MP4 puts the moov before the media, and fMP4
// of a file is indexed (sidx right before the first moof; written in one
// pass, with a free box for the index room it did not use).
func TestClipFormats(t *testing.T) {
	in := fixture
	for format, boxes := range map[string][]string{"mp4": {"ftyp", "moov", "mdat"}, "fmp4": {"ftyp", "moov", "free", "sidx", "moof"}} {
		out := filepath.Join(t.TempDir(), "clip.mp4")
		code, _, stderr := runCLI(nil, "clip", "--format", format, "-o", out, in)
		require.Equal(t, 0, code, stderr)
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		var got []string
		for off := 0; off+8 <= len(data) && len(got) < len(boxes); {
			size := int(data[off])<<24 | int(data[off+1])<<16 | int(data[off+2])<<8 | int(data[off+3])
			got = append(got, string(data[off+4:off+8]))
			off += size
		}
		assert.Equal(t, boxes, got, format)
		msg, ok := mediatest.Decode(t, out)
		require.True(t, ok, msg)
		assert.Empty(t, msg)
	}
	code, _, stderr := runCLI(nil, "clip", "--format", "avi", "-o", filepath.Join(t.TempDir(), "x"), in)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "InvalidArgument")
}
