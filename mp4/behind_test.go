//go:build linux

package mp4

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

// writeFile writes the real-media clip's fragments to a new file, with
// write-behind or not, and returns the file's bytes.
func writeFile(t *testing.T, c clip, behind bool, gatherBelow int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.mp4")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w, err := NewWriter(f, c.tracks)
	require.NoError(t, err)
	if behind {
		twoProcs(t)
		w.SetWriteBehind()
		require.NotNil(t, w.g.bh)
	}
	w.SetGatherThreshold(gatherBelow)
	require.NoError(t, w.WriteInit())
	for i := range c.fragments {
		require.NoError(t, w.WriteFragment(&c.fragments[i]))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.EqualValues(t, w.BytesWritten(), len(b))
	return b
}

// TestWriteBehindSameBytes: the file written behind is the file written
// in line, with the gather buffer in use (every payload gathered), unused
// (every payload passed through) and mixed.
func TestWriteBehindSameBytes(t *testing.T) {
	c := writeClip(t, clipConfigs[0])
	for _, below := range []int{0, GatherThreshold, 1 << 30} {
		want := writeFile(t, c, false, below)
		assert.Equal(t, c.data, want, "a file gets what any writer gets")
		got := writeFile(t, c, true, below)
		assert.Equal(t, want, got, "gather below %d", below)
	}
}

// fragmentsBehind returns a Writer of fragments only (SkipInit) to f,
// written behind.
func fragmentsBehind(t *testing.T, f *os.File, tracks []Track) *Writer {
	twoProcs(t)
	w, err := NewWriter(f, tracks)
	require.NoError(t, err)
	w.SetWriteBehind()
	require.NotNil(t, w.g.bh)
	w.SkipInit()
	return w
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
	c := writeClip(t, clipConfigs[0])
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "a.mp4"))
	require.NoError(t, err)
	defer f.Close()
	w := fragmentsBehind(t, f, c.tracks)
	require.NoError(t, w.WriteFragment(&c.fragments[0]))
	require.NoError(t, w.Flush())
	// Flush returns once the goroutine has said it is done; it exits
	// just after.
	goroutinesSettle(t, before) // Flush ends it
	require.NoError(t, w.WriteFragment(&c.fragments[1]))
	require.NoError(t, w.Flush())
	st, err := f.Stat()
	require.NoError(t, err)
	assert.EqualValues(t, w.BytesWritten(), st.Size())

	g, err := os.Create(filepath.Join(dir, "b.mp4"))
	require.NoError(t, err)
	defer g.Close()
	func() {
		w := fragmentsBehind(t, g, c.tracks)
		for i := range 3 {
			require.NoError(t, w.WriteFragment(&c.fragments[i]))
		}
	}()
	goroutinesSettle(t, before)
	st, err = g.Stat()
	require.NoError(t, err)
	assert.Positive(t, st.Size(), "what was handed over is written")
}

// TestWriteBehindStalledSink: with a sink that takes its time (a pipe of
// one page read slowly), the caller waits for free batches longer than it
// polls, then blocks until the writer frees one; the bytes come out whole.
func TestWriteBehindStalledSink(t *testing.T) {
	c := writeClip(t, clipConfigs[0])
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
	w, err := NewWriter(pw, c.tracks)
	require.NoError(t, err)
	w.SetWriteBehind()
	require.NoError(t, w.WriteInit())
	for i := range c.fragments {
		require.NoError(t, w.WriteFragment(&c.fragments[i]))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, pw.Close())
	assert.Equal(t, c.data, <-got)
	assert.Positive(t, w.g.bh.slow, "the caller blocked after polling")
}

// TestWriteBehindError: a failed write is Flush's error, and sticks.
func TestWriteBehindError(t *testing.T) {
	c := writeClip(t, clipConfigs[0])
	path := filepath.Join(t.TempDir(), "ro.mp4")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	f, err := os.Open(path) // read-only: writev fails with EBADF
	require.NoError(t, err)
	defer f.Close()
	w := fragmentsBehind(t, f, c.tracks)
	for i := range c.fragments {
		require.NoError(t, w.WriteFragment(&c.fragments[i]), "errors wait for Flush")
	}
	err = w.Flush()
	require.Error(t, err)
	var pe *os.PathError
	assert.ErrorAs(t, err, &pe)
	assert.Equal(t, err, w.Flush(), "sticky")
	assert.Equal(t, err, w.WriteFragment(&c.fragments[0]))
}

// TestWriteBehindOneProc: with goroutines on one P, SetWriteBehind leaves
// the Writer writing in line: each fragment is in the file when
// WriteFragment returns, and a write error is WriteFragment's.
func TestWriteBehindOneProc(t *testing.T) {
	c := writeClip(t, clipConfigs[0])
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f, err := os.Create(filepath.Join(t.TempDir(), "a.mp4"))
	require.NoError(t, err)
	defer f.Close()
	w, err := NewWriter(f, c.tracks)
	require.NoError(t, err)
	w.SetWriteBehind()
	assert.Nil(t, w.g.bh)
	require.NoError(t, w.WriteInit())
	for i := range c.fragments {
		require.NoError(t, w.WriteFragment(&c.fragments[i]))
		st, err := f.Stat()
		require.NoError(t, err)
		assert.EqualValues(t, w.BytesWritten(), st.Size(), "fragment %d written in line", i)
	}
	require.NoError(t, w.Flush())
	b, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	assert.Equal(t, c.data, b)

	ro, err := os.Open(f.Name()) // read-only: writev fails with EBADF
	require.NoError(t, err)
	defer ro.Close()
	w, err = NewWriter(ro, c.tracks)
	require.NoError(t, err)
	w.SetWriteBehind()
	w.SkipInit()
	var pe *os.PathError
	assert.ErrorAs(t, w.WriteFragment(&c.fragments[0]), &pe, "the error comes with the write")
}

// TestWriteBehindOtherSinks: only a file written with writev goes behind;
// a buffer gets its bytes before WriteFragment returns, as without it.
func TestWriteBehindOtherSinks(t *testing.T) {
	c := writeClip(t, clipConfigs[0])
	var b bytes.Buffer
	w, err := NewWriter(&b, c.tracks)
	require.NoError(t, err)
	w.SetWriteBehind()
	require.NoError(t, w.WriteInit())
	for i := range c.fragments {
		require.NoError(t, w.WriteFragment(&c.fragments[i]))
		assert.EqualValues(t, w.BytesWritten(), b.Len())
	}
	require.NoError(t, w.Flush())
	assert.Equal(t, c.data, b.Bytes())
}
