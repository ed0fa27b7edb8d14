package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
)

// TestMain lets the tests run this test binary as kvsclip itself
// (asBinary), for what only a whole process shows: exit statuses and the
// version stamped in the binary.
func TestMain(m *testing.M) {
	if os.Getenv("KVSCLIP_TEST_AS_BINARY") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// asBinary runs the test binary as `kvsclip args...`.
func asBinary(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "KVSCLIP_TEST_AS_BINARY=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errb.String()
}

func runCLI(stdin []byte, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// getMediaDump is one of the project's own GetMedia dumps (testdata/gen):
// five fragments of 160x120 H.264 and AAC, about a second each.
var getMediaDump = filepath.Join("..", "..", "testdata", "h264-aac-160x120.getmedia.mkv")

func TestInspect(t *testing.T) {
	code, stdout, stderr := runCLI(nil, "inspect", getMediaDump)
	require.Equal(t, 0, code, stderr)
	var got struct {
		Fragments []struct {
			FragmentNumber               string  `json:"fragment_number"`
			FragmentSizeInBytes          int64   `json:"fragment_size_in_bytes"`
			ProducerTimestamp            float64 `json:"producer_timestamp"`
			ServerTimestamp              float64 `json:"server_timestamp"`
			FragmentLengthInMilliseconds int64   `json:"fragment_length_in_milliseconds"`
		} `json:"fragments"`
		Tracks []struct {
			CodecID string `json:"codec_id"`
			Codec   string `json:"codec"`
		} `json:"tracks"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	require.Len(t, got.Fragments, 5)
	assert.Equal(t, 1700000000.981, got.Fragments[1].ProducerTimestamp)
	assert.InDelta(t, 1000, got.Fragments[0].FragmentLengthInMilliseconds, 40)
	require.Len(t, got.Tracks, 2, "one header, shared by the five documents")
	assert.Equal(t, "V_MPEG4/ISO/AVC", got.Tracks[0].CodecID)
	assert.Equal(t, "A_AAC", got.Tracks[1].CodecID)
	assert.Equal(t, "AAC (A_AAC)", got.Tracks[1].Codec)
	assert.NotContains(t, stdout, `"Fragments"`, "keys are snake_case, as the manifest's")
}

// TestConventions: the top-level usage, --version, every command's --help
// (exit 0, on stdout), bad command lines (one line and a pointer to the
// help, exit 2) and a terminal on stdin.
func TestConventions(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.mkv")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	for _, c := range []struct {
		name     string
		args     []string
		ttyStdin bool
		code     int
		stdout   []string
		stderr   []string
	}{
		{name: "no command", code: 2, stderr: []string{"usage: kvsclip COMMAND", "--manifest FILE", "--endpoint URL"}},
		{name: "help", args: []string{"--help"}, stdout: []string{"usage: kvsclip COMMAND", "clip", "inspect", "put", "serve", "--start T --end T", "kvsclip --version"}},
		{name: "help clip", args: []string{"help", "clip"}, stdout: []string{"usage: kvsclip clip", "examples:"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: []string{`kvsclip: unknown command "frobnicate"` + "\nsee kvsclip --help\n"}},
		{name: "--version", args: []string{"--version"}, stdout: []string{"kvsclip ", "go1."}},
		{name: "version", args: []string{"version"}, stdout: []string{"kvsclip ", "go1."}},
		{name: "clip --help", args: []string{"clip", "--help"}, stdout: []string{"usage: kvsclip clip", "INPUT", "examples:"}},
		{name: "inspect --help", args: []string{"inspect", "--help"}, stdout: []string{"usage: kvsclip inspect", "INPUT", "examples:"}},
		{name: "inspect -h", args: []string{"inspect", "-h"}, stdout: []string{"usage: kvsclip inspect"}},
		{name: "inspect bad flag", args: []string{"inspect", "--keys", "aws"}, code: 2, stderr: []string{"kvsclip inspect: flag provided but not defined: -keys\nsee kvsclip inspect --help\n"}},
		{name: "inspect terminal", args: []string{"inspect"}, ttyStdin: true, code: 2, stderr: []string{"kvsclip inspect: no INPUT given and standard input is a terminal"}},
		{name: "inspect empty", args: []string{"inspect", empty}, code: 1, stderr: []string{"kvsclip: InvalidArgument: " + empty + " is empty\n"}},
		{name: "put --help", args: []string{"put", "--help"}, stdout: []string{"usage: kvsclip put", "-endpoint", "examples:"}},
		{name: "put bad flag", args: []string{"put", "--bogus"}, code: 2, stderr: []string{"kvsclip put: flag provided but not defined: -bogus\nsee kvsclip put --help\n"}},
		{name: "put terminal", args: []string{"put", "--endpoint", "http://127.0.0.1:1", "--stream", "s"}, ttyStdin: true, code: 2, stderr: []string{"kvsclip put: no FILE given and standard input is a terminal"}},
		{name: "serve --help", args: []string{"serve", "--help"}, stdout: []string{"usage: kvsclip serve", "listen address", "-data", "-ffmpeg", "examples:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdin := bytes.NewReader(nil)
			saved := cliflag.IsTerminal
			defer func() { cliflag.IsTerminal = saved }()
			cliflag.IsTerminal = func(v any) bool { return c.ttyStdin && v == any(stdin) }
			var out, errb bytes.Buffer
			code := run(c.args, stdin, &out, &errb)
			assert.Equal(t, c.code, code, errb.String())
			for _, s := range c.stdout {
				assert.Contains(t, out.String(), s)
			}
			for _, s := range c.stderr {
				assert.Contains(t, errb.String(), s)
			}
			if c.code == 0 {
				assert.Empty(t, errb.String())
			}
		})
	}
}

// TestVersionOfBinary: a binary built from a checkout says "(devel)"; go
// test stamps no VCS revision, so only the shape is checked here (the
// Makefile's build does stamp one).
func TestVersionOfBinary(t *testing.T) {
	code, stdout, _ := asBinary(t, nil, "--version")
	assert.Equal(t, 0, code)
	assert.Regexp(t, `^kvsclip \S+.*, go1\.\S+ \S+/\S+\n$`, stdout)
}

// TestClipAsBinary: `kvsclip clip` run as a process, through main, writes
// the file the in-process command writes, and fails with the same message.
func TestClipAsBinary(t *testing.T) {
	in := getMediaDump
	dir := t.TempDir()
	binary, inProcess := filepath.Join(dir, "binary.mp4"), filepath.Join(dir, "in-process.mp4")
	code, _, stderr := asBinary(t, nil, "clip", in, "-o", binary)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI(nil, "clip", in, "-o", inProcess)
	require.Equal(t, 0, code, stderr)
	a, err := os.ReadFile(binary)
	require.NoError(t, err)
	b, err := os.ReadFile(inProcess)
	require.NoError(t, err)
	assert.Equal(t, b, a)

	missing := filepath.Join(dir, "missing.mkv")
	code, _, stderr = asBinary(t, nil, "clip", missing, "-o", binary)
	_, _, want := runCLI(nil, "clip", missing, "-o", binary)
	assert.Equal(t, 1, code)
	assert.Equal(t, want, stderr)
}
