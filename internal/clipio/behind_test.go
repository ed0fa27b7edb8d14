//go:build linux

package clipio

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// twoProcs makes sure the runtime runs goroutines on two Ps for the rest
// of the test, which write-behind needs to do anything (SetWriteBehind).
func twoProcs(t *testing.T) {
	if n := runtime.GOMAXPROCS(0); n < 2 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(n) })
	}
}

// clip is a run of fragments as mp4 hands them to a Writer, and the bytes
// they make.
type clip struct {
	fragments []*fragment
	data      []byte
}

// testClip is 8 fragments of large and small pieces: about 300 KB each,
// so the writes take their time and the batches get used.
func testClip() clip {
	var c clip
	for i := range 8 {
		f := mixedFragment(64<<10, 400+i, 20<<10, 9000, 400, 128<<10, 300, 60<<10)
		c.fragments = append(c.fragments, f)
		c.data = append(c.data, f.bytes()...)
	}
	return c
}

// writeFile writes the clip's fragments to a new file, with write-behind
// or not, and returns the file's bytes.
func writeFile(t *testing.T, c clip, behind bool, gatherBelow int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.mp4")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := NewWriter(f)
	if behind {
		twoProcs(t)
		w.SetWriteBehind()
		require.NotNil(t, w.g.bh)
	}
	w.below = gatherBelow
	for _, fr := range c.fragments {
		require.NoError(t, w.WriteVector(fr.head, fr.payloads))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestWriteBehindSameBytes: the file written behind is the file written
// in line, with the gather buffer in use (every payload gathered), unused
// (every payload passed through) and mixed.
func TestWriteBehindSameBytes(t *testing.T) {
	c := testClip()
	for _, below := range []int{0, gatherThreshold, 1 << 30} {
		want := writeFile(t, c, false, below)
		assert.Equal(t, c.data, want, "a file gets what any writer gets")
		got := writeFile(t, c, true, below)
		assert.Equal(t, want, got, "gather below %d", below)
	}
}

// fileBehind returns a Writer to f, written behind.
func fileBehind(t *testing.T, f *os.File) *Writer {
	twoProcs(t)
	w := NewWriter(f)
	w.SetWriteBehind()
	require.NotNil(t, w.g.bh)
	return w
}

// size returns the size of the file f.
func size(t *testing.T, f *os.File) int64 {
	st, err := f.Stat()
	require.NoError(t, err)
	return st.Size()
}

// goroutinesSettle waits for the goroutine count to come down to want.
func goroutinesSettle(t *testing.T, want int) {
	t.Helper()
	for range 200 {
		if runtime.NumGoroutine() <= want {
			return
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), want, "the writing goroutine ended")
}

// TestWriteBehindGoroutine: the writing goroutine ends at Flush, starts
// again with the next fragment, and ends when a Writer is dropped without
// Flush — after writing what it was handed.
func TestWriteBehindGoroutine(t *testing.T) {
	c := testClip()
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "a.mp4"))
	require.NoError(t, err)
	defer f.Close()
	w := fileBehind(t, f)
	require.NoError(t, w.WriteVector(c.fragments[0].head, c.fragments[0].payloads))
	require.NoError(t, w.Flush())
	// Flush returns once the goroutine has said it is done; it exits
	// just after.
	goroutinesSettle(t, before) // Flush ends it
	require.NoError(t, w.WriteVector(c.fragments[1].head, c.fragments[1].payloads))
	require.NoError(t, w.Flush())
	assert.EqualValues(t, len(c.fragments[0].bytes())+len(c.fragments[1].bytes()), size(t, f))

	g, err := os.Create(filepath.Join(dir, "b.mp4"))
	require.NoError(t, err)
	defer g.Close()
	func() {
		w := fileBehind(t, g)
		for _, fr := range c.fragments[:3] {
			require.NoError(t, w.WriteVector(fr.head, fr.payloads))
		}
	}()
	goroutinesSettle(t, before)
	assert.Positive(t, size(t, g), "what was handed over is written")
}

// TestWriteBehindStalledSink: with a sink that takes its time (a pipe of
// one page read slowly), the caller waits for free batches longer than it
// polls, then blocks until the writer frees one; the bytes come out whole.
func TestWriteBehindStalledSink(t *testing.T) {
	c := testClip()
	require.GreaterOrEqual(t, len(c.fragments), behindBatches+1)
	r, pw, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	rc, err := pw.SyscallConn()
	require.NoError(t, err)
	require.NoError(t, rc.Control(func(fd uintptr) {
		syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETPIPE_SZ, 4096)
	}))
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for i := 0; ; i++ {
			if i%4 == 0 {
				time.Sleep(time.Millisecond)
			}
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				got <- b.Bytes()
				return
			}
		}
	}()
	twoProcs(t)
	w := NewWriter(pw)
	w.SetWriteBehind()
	for _, fr := range c.fragments {
		require.NoError(t, w.WriteVector(fr.head, fr.payloads))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, pw.Close())
	assert.Equal(t, c.data, <-got)
	assert.Positive(t, w.g.bh.slow, "the caller blocked after polling")
}

// TestWriteBehindError: a failed write is Flush's error, and sticks.
func TestWriteBehindError(t *testing.T) {
	c := testClip()
	path := filepath.Join(t.TempDir(), "ro.mp4")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	f, err := os.Open(path) // read-only: writev fails with EBADF
	require.NoError(t, err)
	defer f.Close()
	w := fileBehind(t, f)
	for _, fr := range c.fragments {
		require.NoError(t, w.WriteVector(fr.head, fr.payloads), "errors wait for Flush")
	}
	err = w.Flush()
	require.Error(t, err)
	var pe *os.PathError
	assert.ErrorAs(t, err, &pe)
	assert.Equal(t, err, w.Flush(), "sticky")
	assert.Equal(t, err, w.WriteVector(c.fragments[0].head, c.fragments[0].payloads))
}

// TestWriteBehindOneProc: with goroutines on one P, SetWriteBehind leaves
// the Writer writing in line: each fragment is in the file when
// WriteFragment returns, and a write error is WriteFragment's.
func TestWriteBehindOneProc(t *testing.T) {
	c := testClip()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f, err := os.Create(filepath.Join(t.TempDir(), "a.mp4"))
	require.NoError(t, err)
	defer f.Close()
	w := NewWriter(f)
	w.SetWriteBehind()
	assert.Nil(t, w.g.bh)
	var n int
	for i, fr := range c.fragments {
		require.NoError(t, w.WriteVector(fr.head, fr.payloads))
		n += len(fr.bytes())
		assert.EqualValues(t, n, size(t, f), "fragment %d written in line", i)
	}
	require.NoError(t, w.Flush())
	b, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	assert.Equal(t, c.data, b)

	ro, err := os.Open(f.Name()) // read-only: writev fails with EBADF
	require.NoError(t, err)
	defer ro.Close()
	w = NewWriter(ro)
	w.SetWriteBehind()
	var pe *os.PathError
	assert.ErrorAs(t, w.WriteVector(c.fragments[0].head, c.fragments[0].payloads), &pe, "the error comes with the write")
}

// TestWriteBehindOtherSinks: only a file written with writev goes behind;
// a buffer gets its bytes before WriteFragment returns, as without it.
func TestWriteBehindOtherSinks(t *testing.T) {
	c := testClip()
	var b bytes.Buffer
	w := NewWriter(&b)
	w.SetWriteBehind()
	var n int
	for _, fr := range c.fragments {
		require.NoError(t, w.WriteVector(fr.head, fr.payloads))
		n += len(fr.bytes())
		assert.Equal(t, n, b.Len())
	}
	require.NoError(t, w.Flush())
	assert.Equal(t, c.data, b.Bytes())
}
