package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
)

// TestMain lets the tests run this test binary as kvsclip itself
// (asBinary): the head start of package clipcmd happens only in a process
// whose command line is a clip.
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

// TestHeadStart: a clip started at init (package clipcmd's head start)
// writes the same file, and fails with the same message, as one run from
// main.
func TestHeadStart(t *testing.T) {
	in := getMediaDump
	dir := t.TempDir()
	early, late := filepath.Join(dir, "early.mp4"), filepath.Join(dir, "late.mp4")
	code, _, stderr := asBinary(t, nil, "clip", in, "-o", early)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI(nil, "clip", in, "-o", late)
	require.Equal(t, 0, code, stderr)
	a, err := os.ReadFile(early)
	require.NoError(t, err)
	b, err := os.ReadFile(late)
	require.NoError(t, err)
	assert.Equal(t, b, a)

	missing := filepath.Join(dir, "missing.mkv")
	code, _, stderr = asBinary(t, nil, "clip", missing, "-o", early)
	_, _, want := runCLI(nil, "clip", missing, "-o", early)
	assert.Equal(t, 1, code)
	assert.Equal(t, want, stderr)

	code, stdout, _ := asBinary(t, nil, "help")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "usage")
}

// TestHeadStartInitOrder: a clip process ends in package clipcmd's init
// (the head start), so the server's packages — the AWS SDK's services,
// net/http, the server — must initialize after clipcmd, and in a clip not
// at all. An import that made clipcmd wait for them fails here.
func TestHeadStartInitOrder(t *testing.T) {
	inits := func(args ...string) map[string]bool {
		code, _, stderr := asBinary(t, []string{"GODEBUG=inittrace=1"}, args...)
		require.Equal(t, 0, code, stderr)
		seen := map[string]bool{}
		for _, line := range strings.Split(stderr, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
				seen[f[1]] = true
			}
		}
		return seen
	}
	serverSide := func(pkg string) bool {
		return pkg == "net/http" || pkg == "github.com/kvsclip/kvsclip/server" ||
			strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/s3") ||
			strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/") && strings.Contains(pkg, "/internal/endpoints")
	}
	const clipcmd = "github.com/kvsclip/kvsclip/cmd/kvsclip/internal/clipcmd"

	// Any other command initializes everything, the server's packages
	// included: the test below would pass vacuously without them.
	all := inits("help")
	n := 0
	for pkg := range all {
		if serverSide(pkg) {
			n++
		}
	}
	require.GreaterOrEqual(t, n, 4, "the server's packages are in a full trace")

	in := getMediaDump
	out := filepath.Join(t.TempDir(), "out.mp4")
	clip := inits("clip", in, "-o", out)
	st, err := os.Stat(out)
	require.NoError(t, err)
	assert.Positive(t, st.Size())
	// A package is traced when its init returns, and clipcmd's does not.
	require.True(t, all[clipcmd], "clipcmd has an init (the head start)")
	require.True(t, clip["runtime"], "the clip's init trace was read")
	assert.False(t, clip[clipcmd], "clipcmd's init returned in a clip")
	for pkg := range clip {
		assert.False(t, serverSide(pkg), "a clip initialized %s", pkg)
	}
}
