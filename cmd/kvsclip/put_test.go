package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server"
)

func TestPut(t *testing.T) {
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, store.CreateStream(context.Background(), archive.Stream{Name: "cam", RetentionHours: 1}))
	require.NoError(t, store.CreateStream(context.Background(), archive.Stream{Name: "cam2", RetentionHours: 1}))
	srv, err := server.New(server.Config{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	vogels := filepath.Join(mediatest.SharedDir(t), "producer", "vogels_480.mkv")
	empty, text := filepath.Join(t.TempDir(), "empty.mkv"), filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	require.NoError(t, os.WriteFile(text, []byte("not a video\n"), 0o644))

	for _, c := range []struct {
		name      string
		args      []string
		code      int
		persisted int
		stderr    string
	}{
		// vogels' 9 Clusters, three of which do not start on a key
		// frame, make 6 fragments that all do; test-stream's 37
		// Clusters of 1.5 s (a GOP each) make 19 of 3 s.
		{"file", []string{"--endpoint", hs.URL, "--stream", "cam", "--start", "1700000000.5", vogels}, 0, 6, ""},
		{"absolute", []string{"--endpoint", hs.URL, "--stream", "cam", "--timecode-type", "absolute",
			filepath.Join(filepath.Dir(vogels), "test-stream-1_0.mkv")}, 0, 19, ""},
		{"clusters kept", []string{"--endpoint", hs.URL, "--stream", "cam2", "--fragment-duration", "0", vogels}, 0, 9, ""},
		{"fragment duration", []string{"--endpoint", hs.URL, "--stream", "cam", "--fragment-duration", "11s", vogels}, 2, 0,
			"--fragment-duration must be 0 to 9s"},
		{"no stream", []string{"--endpoint", hs.URL, "--stream", "nope", vogels}, 1, 0, "ResourceNotFoundException"},
		{"usage", []string{"--stream", "cam"}, 2, 0, "kvsclip put: --endpoint and --stream are required\nsee kvsclip put --help\n"},
		{"bad start", []string{"--endpoint", hs.URL, "--stream", "cam", "--start", "yesterday", vogels}, 2, 0, "--start"},
		{"empty", []string{"--endpoint", hs.URL, "--stream", "cam", empty}, 1, 0, "kvsclip put: InvalidArgument: " + empty + " is empty\n"},
		{"not matroska", []string{"--endpoint", hs.URL, "--stream", "cam", text}, 1, 0, "(it looks like text)"},
		{"usage", []string{"--endpoint", hs.URL, "--stream", "cam", vogels, vogels}, 2, 0, "kvsclip put: one FILE at most\nsee kvsclip put --help\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(nil, append([]string{"put"}, c.args...)...)
			assert.Equal(t, c.code, code, stderr)
			assert.Equal(t, c.persisted, strings.Count(stdout, `"EventType":"PERSISTED"`))
			assert.Contains(t, stderr, c.stderr)
		})
	}
	// --start 1700000000.5 is half a second after the second, as clip
	// --start reads it, not the C producer's 5 ms of its header.
	frags, err := store.List(context.Background(), "cam", kvs.ProducerTimestamp, 0, 1<<50)
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(frags, func(f kvs.Fragment) bool { return f.ProducerMillis == 1700000000500 }),
		"no fragment at 1700000000.500: %v", frags)
}

// TestPutGetMediaDumpAbsolute: a GetMedia dump put with ABSOLUTE timecodes
// lands at the producer timestamps its tags carry, not at its Cluster
// timecodes (near 1970), and says so; on a terminal the acks give way to
// a summary.
func TestPutGetMediaDumpAbsolute(t *testing.T) {
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, store.CreateStream(ctx, archive.Stream{Name: "cam", RetentionHours: 24 * 365 * 100}))
	srv, err := server.New(server.Config{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	defer hs.Close()

	var stdout, stderr bytes.Buffer
	saved := cliflag.IsTerminal
	defer func() { cliflag.IsTerminal = saved }()
	cliflag.IsTerminal = func(v any) bool { return v == any(&stdout) }
	code := run([]string{"put", "--endpoint", hs.URL, "--stream", "cam", "--timecode-type", "ABSOLUTE", getMediaDump}, nil, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Empty(t, stdout.String(), "no JSON acks on a terminal")
	assert.Contains(t, stderr.String(), "kvsclip put: the Cluster timecodes are not epoch times")
	assert.Contains(t, stderr.String(), "put at those, from 2023-11-14T22:13:20")
	assert.Regexp(t, `kvsclip put: 5 fragments persisted \(111\.2 kB read\) to stream cam in \S+ s, 0 errors\n$`, stderr.String())

	frags, err := store.List(ctx, "cam", kvs.ProducerTimestamp, 0, math.MaxInt64)
	require.NoError(t, err)
	require.Len(t, frags, 5)
	assert.Equal(t, int64(1700000000981), frags[1].ProducerMillis, "the second fragment at its tag's timestamp")
}
