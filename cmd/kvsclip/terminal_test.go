//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealTerminal runs the binary on a real pseudo-terminal, which
// util-linux's script(1) gives it, to check what the tests elsewhere fake
// with cliflag.IsTerminal: MP4 is not written to a terminal, a terminal on
// stdin is not waited on, and the progress ends in a summary line.
func TestRealTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give the binary a terminal")
	}
	out := filepath.Join(t.TempDir(), "out.mp4")
	for _, c := range []struct {
		name    string
		command string
		want    string
	}{
		{"MP4 to a terminal", "clip " + getMediaDump, "kvsclip clip: refusing to write MP4 to a terminal: use -o FILE or a pipe"},
		{"terminal on stdin", "clip -o " + out, "kvsclip clip: no INPUT given and standard input is a terminal"},
		{"summary", "clip " + getMediaDump + " -o " + out, "kvsclip: clipped 5 fragments into " + out},
		{"inspect waits for no terminal", "inspect", "kvsclip inspect: no INPUT given and standard input is a terminal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(script, "-q", "-e", "-c", os.Args[0]+" "+c.command, "/dev/null")
			cmd.Env = append(os.Environ(), "KVSCLIP_TEST_AS_BINARY=1")
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			cmd.Stdin = strings.NewReader("")
			_ = cmd.Run()
			assert.Contains(t, stdout.String(), c.want)
			assert.NotContains(t, stdout.String(), "ftyp")
		})
	}
	_, err = os.Stat(out)
	require.NoError(t, err)
}
