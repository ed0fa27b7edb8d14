package clipcmd

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
	"github.com/kvsclip/kvsclip/internal/mediatest"
)

// fakeTerminal makes cliflag.IsTerminal true for the given values only,
// for the length of the test.
func fakeTerminal(t *testing.T, ttys ...any) {
	t.Helper()
	saved := cliflag.IsTerminal
	t.Cleanup(func() { cliflag.IsTerminal = saved })
	cliflag.IsTerminal = func(v any) bool {
		for _, tty := range ttys {
			if v == tty {
				return true
			}
		}
		return false
	}
}

// ttyReader and ttyWriter stand for a terminal on stdin and stdout.
type ttyReader struct{ bytes.Reader }
type ttyWriter struct{ bytes.Buffer }

// epipeWriter is a stdout whose reader has gone.
type epipeWriter struct{}

func (epipeWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// TestClipConventions: help, usage errors, terminals, output safety and a
// closed pipe, each as a user meets it.
func TestClipConventions(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.mkv")
	data, err := os.ReadFile(fixture)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(input, data, 0o644))
	link := filepath.Join(dir, "link.mkv")
	require.NoError(t, os.Link(input, link))
	out := filepath.Join(dir, "out.mp4")

	for _, c := range []struct {
		name       string
		args       []string
		stdin      any // nil: an empty reader; ttyIn: a terminal; a path: that file
		stdoutTTY  bool
		stdoutPipe bool // the reader of stdout is gone
		code       int
		stdout     []string
		stderr     []string
		notStderr  []string
	}{
		{name: "help", args: []string{"--help"}, stdout: []string{
			"usage: kvsclip clip", "INPUT", "-manifest file", "-o file", "-strict", "examples:", "kvsclip clip recording.mkv -o clip.mp4"}},
		{name: "short help", args: []string{"-h"}, stdout: []string{"usage: kvsclip clip"}},
		{name: "unknown flag", args: []string{"--bogus", input}, code: 2,
			stderr: []string{"kvsclip clip: flag provided but not defined: -bogus\nsee kvsclip clip --help\n"}},
		{name: "terminal on stdin", args: []string{"-o", out}, stdin: ttyIn, code: 2,
			stderr: []string{"no INPUT given and standard input is a terminal", "see kvsclip clip --help"}},
		{name: "terminal on stdin, a file given", args: []string{"-o", out, input}, stdin: ttyIn},
		{name: "MP4 to a terminal", args: []string{input}, stdoutTTY: true, code: 2,
			stderr: []string{"refusing to write MP4 to a terminal: use -o FILE or a pipe"}},
		{name: "-o the input", args: []string{input, "-o", input}, code: 2,
			stderr: []string{"-o " + input + " is the input " + input + ": refusing to overwrite an input"}},
		{name: "-o a hard link of the input", args: []string{input, "-o", link}, code: 2,
			stderr: []string{"refusing to overwrite an input"}},
		{name: "-o the file on stdin", args: []string{"-o", input}, stdin: input, code: 2,
			stderr: []string{"is the input standard input"}},
		{name: "-o in a missing directory", args: []string{input, "-o", filepath.Join(dir, "nope", "x.mp4")}, code: 1,
			stderr: []string{"-o " + filepath.Join(dir, "nope", "x.mp4") + ": cannot create: no such file or directory"}, notStderr: []string{".part"}},
		{name: "-o a directory", args: []string{input, "-o", dir}, code: 1,
			stderr: []string{"-o " + dir + " is a directory"}},
		{name: "closed pipe", args: []string{input}, stdoutPipe: true, code: 141, notStderr: []string{"InternalFailure", "kvsclip"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdin any = &ttyReader{}
			var stdout any = &ttyWriter{}
			switch s := c.stdin.(type) {
			case string:
				if s == ttyIn {
					break
				}
				f, err := os.Open(s)
				require.NoError(t, err)
				defer f.Close()
				stdin = f
			case nil:
				stdin = bytes.NewReader(nil)
			}
			ttys := []any{}
			if c.stdin == ttyIn {
				ttys = append(ttys, stdin)
			}
			if c.stdoutTTY {
				ttys = append(ttys, stdout)
			}
			fakeTerminal(t, ttys...)
			if c.stdoutPipe {
				stdout = epipeWriter{}
			}
			var errb bytes.Buffer
			code := Run(c.args, stdin.(interface{ Read([]byte) (int, error) }), stdout.(interface{ Write([]byte) (int, error) }), &errb)
			assert.Equal(t, c.code, code, errb.String())
			if w, ok := stdout.(*ttyWriter); ok {
				for _, s := range c.stdout {
					assert.Contains(t, w.String(), s)
				}
			}
			for _, s := range c.stderr {
				assert.Contains(t, errb.String(), s)
			}
			for _, s := range c.notStderr {
				assert.NotContains(t, errb.String(), s)
			}
			got, err := os.ReadFile(input)
			require.NoError(t, err)
			assert.Equal(t, data, got, "the input is untouched")
			parts, _ := filepath.Glob(filepath.Join(dir, ".*.part"))
			assert.Empty(t, parts, "no temporary file is left")
		})
	}
}

// ttyIn marks the test case whose stdin is a terminal.
const ttyIn = "<tty>"

// TestCutShortInput: an input that ends inside a fragment clips what it
// has with a warning saying what was kept, or fails under --strict.
func TestCutShortInput(t *testing.T) {
	data, err := os.ReadFile(fixture)
	require.NoError(t, err)
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.mkv")
	require.NoError(t, os.WriteFile(cut, data[:60000], 0o644))

	for _, c := range []struct {
		name   string
		args   []string
		stdin  []byte
		code   int
		stderr string
		file   bool
	}{
		{"file", []string{cut}, nil, 0, "kvsclip: warning: input ends inside fragment 2 (at 2.2 s): the clip keeps 2 whole fragments and the complete frames of the cut one, 0.0–2.2 s\n", true},
		{"pipe", []string{"-"}, data[:60000], 0, "kvsclip: warning: input ends inside fragment 2", true},
		{"range", []string{"--start", "1700000000", "--end", "1700000100", cut}, nil, 0, "kvsclip: warning: input ends inside fragment 2", true},
		{"strict", []string{"--strict", cut}, nil, 1, "kvsclip: InvalidMediaFrame: input ends inside fragment 2 (at 2.2 s); --strict refuses a cut-short input\n", false},
		{"whole", []string{fixture}, nil, 0, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".mp4")
			var errb bytes.Buffer
			code := Run(append(c.args, "-o", out), bytes.NewReader(c.stdin), &bytes.Buffer{}, &errb)
			assert.Equal(t, c.code, code)
			if c.stderr == "" {
				assert.Empty(t, errb.String())
			} else {
				assert.True(t, strings.HasPrefix(errb.String(), c.stderr), errb.String())
			}
			_, err := os.Stat(out)
			assert.Equal(t, c.file, err == nil)
		})
	}
}

// TestInputNotMatroska: an empty input, or one of another format, is
// named in words, by file or on stdin, mapped or streamed.
func TestInputNotMatroska(t *testing.T) {
	dir := t.TempDir()
	mp4 := filepath.Join(dir, "clip.mp4")
	var errb bytes.Buffer
	require.Equal(t, 0, Run([]string{fixture, "-o", mp4}, nil, nil, &errb), errb.String())
	mp4Data, err := os.ReadFile(mp4)
	require.NoError(t, err)
	ts := make([]byte, 376)
	ts[0], ts[188] = 0x47, 0x47

	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "is empty"},
		{"mp4", mp4Data, "is not a Matroska/WebM file (it looks like MP4)"},
		{"text", []byte("hello, world\n"), "is not a Matroska/WebM file (it looks like text)"},
		{"json", []byte(`{"Fragments": []}`), "(it looks like JSON)"},
		{"mpeg-ts", ts, "(it looks like MPEG-TS)"},
		{"annex-b", []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0xff, 0xee}, "(it looks like a raw H.264/H.265 stream (Annex B))"},
		{"binary", []byte{0x13, 0x37, 0x00, 0xff, 0xfe, 0x01}, "(it does not start with an EBML header)"},
	} {
		path := filepath.Join(dir, c.name+".in")
		require.NoError(t, os.WriteFile(path, c.data, 0o644))
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		for how, args := range map[string][]string{"file": {path}, "stdin from the file": {"-"}, "piped": {"-"}} {
			t.Run(c.name+"/"+how, func(t *testing.T) {
				var stdin io.Reader = bytes.NewReader(c.data)
				name := "standard input"
				switch how {
				case "file":
					name = path
				case "stdin from the file":
					stdin = f
				}
				var errb bytes.Buffer
				out := filepath.Join(t.TempDir(), "out.mp4")
				code := Run(append(args, "-o", out), stdin, nil, &errb)
				assert.Equal(t, 1, code)
				assert.True(t, strings.HasPrefix(errb.String(), "kvsclip: InvalidArgument: "+name+" "), errb.String())
				assert.True(t, strings.HasSuffix(errb.String(), c.want+"\n"), errb.String())
			})
		}
	}
}

// TestProgressOnTerminal: with stderr a terminal a clip draws its progress
// line and ends with a summary; with stderr a file or a pipe it says
// nothing.
func TestProgressOnTerminal(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.mp4")
	for _, tty := range []bool{true, false} {
		var errb ttyWriter
		if tty {
			fakeTerminal(t, &errb)
		} else {
			fakeTerminal(t)
		}
		require.Equal(t, 0, Run([]string{fixture, "-o", out}, nil, nil, &errb), errb.String())
		if !tty {
			assert.Empty(t, errb.String())
			continue
		}
		assert.Contains(t, errb.String(), "\rclipped 1 fragments, ")
		assert.Contains(t, errb.String(), " of 111.2 kB (")
		assert.Regexp(t, "\r\x1b\\[Kkvsclip: clipped 5 fragments into "+regexp.QuoteMeta(out)+` in \d+\.\d s, 0\.0–\d\.\d s`+"\n$", errb.String())
	}
}

// TestDropUnsupportedAudio: a recording whose audio the clip cannot carry
// fails with a pointer to --drop-unsupported-audio; with it, every path
// (mapped file, pipe, progressive, a range) clips the video alone, says
// so, and the manifest lists the dropped track.
func TestDropUnsupportedAudio(t *testing.T) {
	data, err := os.ReadFile(fixture)
	require.NoError(t, err)
	// The fixture with its AAC track relabelled AC-3, a codec KVS clips
	// do not carry (the ID has the same length, so nothing moves).
	ac3 := bytes.ReplaceAll(data, []byte("A_AAC"), []byte("A_AC3"))
	dir := t.TempDir()
	in := filepath.Join(dir, "ac3.mkv")
	require.NoError(t, os.WriteFile(in, ac3, 0o644))

	var errb bytes.Buffer
	out := filepath.Join(dir, "no.mp4")
	assert.Equal(t, 1, Run([]string{in, "-o", out}, nil, nil, &errb))
	assert.Equal(t, "kvsclip: UnsupportedStreamMediaType: AC-3 (A_AC3) is not supported (want H.264 (V_MPEG4/ISO/AVC), H.265 (V_MPEGH/ISO/HEVC), AAC (A_AAC) or G.711 A-law or µ-law (A_MS/ACM)) (fragment 91343852333181432392682062607743920146159000000, track 2); --drop-unsupported-audio clips the video without the audio\n", errb.String())

	for name, args := range map[string][]string{
		"file":  {in},
		"pipe":  {"-"},
		"mp4":   {"--format", "mp4", in},
		"range": {"--start", "1700000000", "--end", "1700000100", in},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // waits on ffmpeg; each writes files of its own name
			out := filepath.Join(dir, name+".mp4")
			man := filepath.Join(dir, name+".json")
			var errb bytes.Buffer
			code := Run(append(args, "--drop-unsupported-audio", "-o", out, "--manifest", man), bytes.NewReader(ac3), nil, &errb)
			require.Equal(t, 0, code, errb.String())
			assert.Equal(t, "kvsclip: dropped audio track 2, AC-3 (A_AC3): unsupported codec\n", errb.String())
			raw, err := os.ReadFile(man)
			require.NoError(t, err)
			var m struct {
				Tracks []struct {
					Codec string `json:"codec"`
				} `json:"tracks"`
				Dropped []map[string]any `json:"dropped_tracks"`
			}
			require.NoError(t, json.Unmarshal(raw, &m))
			require.Len(t, m.Tracks, 1)
			assert.Equal(t, "avc1", m.Tracks[0].Codec)
			assert.Equal(t, []map[string]any{{"number": 2.0, "codec_id": "A_AC3", "codec": "AC-3 (A_AC3)", "reason": "unsupported codec"}}, m.Dropped)
			msg, ok := mediatest.Decode(t, out)
			require.True(t, ok, msg)
			assert.Empty(t, msg)
		})
	}
}
