//go:build unix

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
)

// TestClipInterrupted: a clip streamed from a pipe into a file and stopped
// by SIGINT or SIGTERM — a live recording ended with Ctrl-C — leaves a
// playable MP4 of the whole fragments read so far at -o, says so, and
// exits 130. The binary is run for real, the signal sent to it.
func TestClipInterrupted(t *testing.T) {
	data, err := os.ReadFile(getMediaDump)
	require.NoError(t, err)
	// The dump's first three fragments, as a live GetMedia would have
	// sent them when the user pressed Ctrl-C.
	r := mkv.NewBytesReader(data)
	var ends []int64
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		ends = append(ends, f.Offset+f.Size)
	}
	require.Len(t, ends, 5)

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "live.mp4")
			cmd, stderr := startFed(t, data[:ends[2]], "clip", "-o", out, "--manifest", filepath.Join(dir, "live.json"))

			// Wait until the clip has written its first fragment.
			deadline := time.Now().Add(10 * time.Second)
			for {
				parts, _ := filepath.Glob(filepath.Join(dir, ".live.mp4.*.part"))
				if len(parts) == 1 {
					if b, _ := os.ReadFile(parts[0]); bytes.Contains(b, []byte("moof")) {
						break
					}
				}
				// stderr is not read here: the command's copy
				// goroutine may be writing it.
				require.True(t, time.Now().Before(deadline), "no fragment written in 10 s")
				time.Sleep(10 * time.Millisecond)
			}
			require.NoError(t, cmd.Process.Signal(sig))
			err = cmd.Wait()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, stderr.String())
			assert.Equal(t, 130, ee.ExitCode(), stderr.String())
			assert.Regexp(t, `^kvsclip: interrupted: `+regexp.QuoteMeta(out)+` holds the [23] whole fragments read before it, 0\.0–[23]\.\d s\n$`, stderr.String())
			parts, _ := filepath.Glob(filepath.Join(dir, ".*.part"))
			assert.Empty(t, parts)
			msg, ok := mediatest.Decode(t, out)
			require.True(t, ok, msg)
			assert.Empty(t, msg)
			_, err = os.Stat(filepath.Join(dir, "live.json"))
			assert.NoError(t, err, "the manifest is written")
		})
	}
}

// TestClipClosedPipe: when the reader of stdout goes away (`kvsclip clip
// in.mkv | head -c 100`), the binary ends quietly: killed by SIGPIPE or
// exiting 141, never with a message such as InternalFailure.
func TestClipClosedPipe(t *testing.T) {
	data, err := os.ReadFile(getMediaDump)
	require.NoError(t, err)
	// Several times the fixture, so that the output outgrows the pipe.
	in := filepath.Join(t.TempDir(), "long.mkv")
	require.NoError(t, os.WriteFile(in, bytes.Repeat(data, 20), 0o644))
	for _, args := range [][]string{{"clip", in}, {"clip", "-"}, {"inspect", in}} {
		t.Run(args[0]+" "+filepath.Base(args[1]), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "KVSCLIP_TEST_AS_BINARY=1")
			cmd.Stdin = bytes.NewReader(bytes.Repeat(data, 20))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			pr, pw, err := os.Pipe()
			require.NoError(t, err)
			cmd.Stdout = pw
			pr.Close() // nobody will read
			require.NoError(t, cmd.Start())
			pw.Close()
			err = cmd.Wait()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			st := ee.Sys().(syscall.WaitStatus)
			assert.True(t, st.Signaled() && st.Signal() == syscall.SIGPIPE || st.ExitStatus() == 141, "%v", st)
			assert.Empty(t, stderr.String())
		})
	}
}

// TestClipInterruptedWhileReading: a clip that selects (here a range of a
// piped input, read whole before anything is written) has nothing worth
// keeping when a signal stops it: its temporary file goes, and it says
// that no file was written.
func TestClipInterruptedWhileReading(t *testing.T) {
	data, err := os.ReadFile(getMediaDump)
	require.NoError(t, err)
	dir := t.TempDir()
	out := filepath.Join(dir, "range.mp4")
	cmd, stderr := startFed(t, data[:len(data)/2], "clip", "--start", "1700000000", "--end", "1700000100", "-o", out)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if parts, _ := filepath.Glob(filepath.Join(dir, ".range.mp4.*.part")); len(parts) == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "no temporary file in 10 s")
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	assert.Equal(t, 130, ee.ExitCode())
	assert.Equal(t, "kvsclip: interrupted: no file written to "+out+"\n", stderr.String())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// startFed starts the test binary as `kvsclip args...` and writes fed to
// its stdin, which stays open (a live stream that has not ended) until the
// test ends. stderr is safe to read once the command has been waited for.
func startFed(t *testing.T, fed []byte, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KVSCLIP_TEST_AS_BINARY=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { stdin.Close() })
	_, err = stdin.Write(fed)
	require.NoError(t, err)
	return cmd, &stderr
}
