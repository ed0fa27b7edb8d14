package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/server"
)

func TestPut(t *testing.T) {
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, store.CreateStream(context.Background(), archive.Stream{Name: "cam", RetentionHours: 1}))
	srv, err := server.New(server.Config{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	vogels := filepath.Join(mediatest.SharedDir(t), "producer", "vogels_480.mkv")

	for _, c := range []struct {
		name      string
		args      []string
		code      int
		persisted int
		stderr    string
	}{
		{"file", []string{"--endpoint", hs.URL, "--stream", "cam", "--start", "1700000000.5", vogels}, 0, 9, ""},
		{"absolute", []string{"--endpoint", hs.URL, "--stream", "cam", "--timecode-type", "absolute",
			filepath.Join(filepath.Dir(vogels), "test-stream-1_0.mkv")}, 0, 37, ""},
		{"no stream", []string{"--endpoint", hs.URL, "--stream", "nope", vogels}, 1, 0, "ResourceNotFoundException"},
		{"usage", []string{"--stream", "cam"}, 2, 0, "usage"},
		{"bad start", []string{"--endpoint", hs.URL, "--stream", "cam", "--start", "yesterday", vogels}, 2, 0, "--start"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(nil, append([]string{"put"}, c.args...)...)
			assert.Equal(t, c.code, code, stderr)
			assert.Equal(t, c.persisted, strings.Count(stdout, `"EventType":"PERSISTED"`))
			assert.Contains(t, stderr, c.stderr)
		})
	}
}
