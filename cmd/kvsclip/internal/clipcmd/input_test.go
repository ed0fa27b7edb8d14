//go:build unix

package clipcmd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
)

const fixture = "../../../../testdata/h264-aac-160x120.getmedia.mkv"

// TestInputMappedOrStreamed: a regular file (also as stdin) is mapped, a
// pipe is streamed.
func TestInputMappedOrStreamed(t *testing.T) {
	want, err := os.ReadFile(fixture)
	require.NoError(t, err)

	in, err := openInput(fixture, nil)
	require.NoError(t, err)
	assert.Nil(t, in.stream)
	assert.Equal(t, want, in.data)
	require.NoError(t, in.close())

	f, err := os.Open(fixture)
	require.NoError(t, err)
	defer f.Close()
	in, err = openInput("-", f)
	require.NoError(t, err)
	assert.NotNil(t, in.data, "stdin redirected from a file is mapped")
	require.NoError(t, in.close())

	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	go func() {
		pw.Write(want)
		pw.Close()
	}()
	in, err = openInput("-", pr)
	require.NoError(t, err)
	assert.Nil(t, in.data)
	got, err := io.ReadAll(in.stream)
	require.NoError(t, err)
	assert.Equal(t, want, got, "the stream reads all of the input, the sniffed head included")
}

// TestClipFileAndPipeAgree: the mapped path (selection over the whole
// input) and the streaming path write the same MP4 for an input without
// duplicates.
func TestClipFileAndPipeAgree(t *testing.T) {
	data, err := os.ReadFile(fixture)
	require.NoError(t, err)
	dir := t.TempDir()
	fromFile := filepath.Join(dir, "file.mp4")
	var stderr bytes.Buffer
	require.Equal(t, 0, Run([]string{"-o", fromFile, fixture}, nil, io.Discard, &stderr), stderr.String())

	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	go func() {
		pw.Write(data)
		pw.Close()
	}()
	fromPipe := filepath.Join(dir, "pipe.mp4")
	require.Equal(t, 0, Run([]string{"-o", fromPipe, "-"}, pr, io.Discard, &stderr), stderr.String())

	a, err := os.ReadFile(fromFile)
	require.NoError(t, err)
	b, err := os.ReadFile(fromPipe)
	require.NoError(t, err)
	// A mapped file is planned first, so its init segment also carries the
	// total duration (mehd) and an index (sidx); the fragments themselves
	// are the same bytes either way.
	assert.Equal(t, b[bytes.Index(b, []byte("moof"))-4:], a[bytes.Index(a, []byte("moof"))-4:])
	assert.Contains(t, string(a[:bytes.Index(a, []byte("moof"))]), "sidx")
}

// TestTruncatedMappingIsAnError: a mapped file that shrinks under the
// mapping faults on access; the clip reports an error instead of crashing.
func TestTruncatedMappingIsAnError(t *testing.T) {
	data, err := os.ReadFile(fixture)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "in.mkv")
	require.NoError(t, os.WriteFile(path, bytes.Repeat(data, 4), 0o644))
	in, err := openInput(path, nil)
	require.NoError(t, err)
	defer in.close()
	require.NoError(t, os.Truncate(path, 0))

	var got error
	func() {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer recoverFault(&got)
		sinkByte = in.data[len(in.data)-1]
	}()
	require.Error(t, got)
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(got))
}

var sinkByte byte
