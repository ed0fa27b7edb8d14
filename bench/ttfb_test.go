package bench

import (
	"bytes"
	"encoding/binary"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// gatedReader serves data up to a limit and then blocks until the test
// raises the limit, telling the test each time it blocks.
type gatedReader struct {
	data    []byte
	pos     int
	limit   int
	blocked chan struct{} // a value each time Read waits at the limit
	raise   chan int      // new limits
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.pos == len(g.data) {
		return 0, io.EOF
	}
	for g.pos >= g.limit {
		g.blocked <- struct{}{}
		g.limit = <-g.raise
	}
	n := copy(p, g.data[g.pos:min(g.limit, len(g.data))])
	g.pos += n
	return n, nil
}

// lockedBuffer is the output, read by the test while Clip writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// boxes lists the top-level box types of the output so far; a box whose
// bytes have not all arrived is left out.
func (l *lockedBuffer) boxes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf.Bytes()
	var out []string
	for len(b) >= 8 {
		size := int(binary.BigEndian.Uint32(b))
		if size < 8 || size > len(b) {
			break
		}
		out = append(out, string(b[4:8]))
		b = b[size:]
	}
	return out
}

// TestTimeToFirstByte: remux.Clip over a stream writes the init segment as
// soon as the first fragment has been read, and each fragment once the next
// one has been read (its last durations come from there) — not when the
// input ends. The input is held back at fragment boundaries, and the output
// is checked while the reader waits. No duration is measured.
func TestTimeToFirstByte(t *testing.T) {
	data, err := synthetic(Synth{Fragments: 4, KeyFrame: 4000, Frame: 2000})
	require.NoError(t, err)
	var starts []int
	r := mkv.NewBytesReader(data)
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		starts = append(starts, int(f.Offset))
	}
	require.Len(t, starts, 4)
	// Enough of the next fragment for the reader to see that one ended:
	// the next element's header.
	const peek = 16
	in := &gatedReader{data: data, limit: starts[1] + peek, blocked: make(chan struct{}), raise: make(chan int)}
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		_, err := remux.Clip(&out, in, nil)
		done <- err
	}()

	// waitBlocked returns when the reader waits at its limit; a Clip that
	// ends instead fails the test rather than hanging it.
	waitBlocked := func() {
		select {
		case <-in.blocked:
		case err := <-done:
			t.Fatalf("Clip returned before the input was complete: %v", err)
		}
	}
	waitBlocked() // fragment 0 read, the reader waits inside fragment 1
	assert.Equal(t, []string{"ftyp", "moov"}, out.boxes(), "after the first fragment")

	in.raise <- starts[2] + peek
	waitBlocked() // fragment 1 read: fragment 0 is complete
	assert.Equal(t, []string{"ftyp", "moov", "moof", "mdat"}, out.boxes(), "after the second fragment")

	in.raise <- len(data)
	require.NoError(t, <-done)
	assert.Equal(t, []string{"ftyp", "moov", "moof", "mdat", "moof", "mdat", "moof", "mdat", "moof", "mdat"}, out.boxes())
}
