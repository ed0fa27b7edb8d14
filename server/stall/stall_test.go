package stall

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// conn is a response writer that records the deadlines it is given and
// what each write or vector carried.
type conn struct {
	http.ResponseWriter
	out            bytes.Buffer
	writes         []int // bytes per Write or per vector
	readDeadlines  []time.Time
	writeDeadlines []time.Time
	vectors        bool // whether it takes vectors (io.ReaderFrom)
}

func (c *conn) Header() http.Header { return http.Header{} }
func (c *conn) WriteHeader(int)     {}
func (c *conn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, len(p))
	return c.out.Write(p)
}
func (c *conn) SetReadDeadline(t time.Time) error {
	c.readDeadlines = append(c.readDeadlines, t)
	return nil
}
func (c *conn) SetWriteDeadline(t time.Time) error {
	c.writeDeadlines = append(c.writeDeadlines, t)
	return nil
}

// vconn is a conn that takes vectors, as net/http's writer does on TCP.
type vconn struct{ *conn }

func (v vconn) ReadFrom(r io.Reader) (int64, error) {
	bufs, ok := r.(*net.Buffers)
	if !ok {
		return io.Copy(v.conn, r)
	}
	n := 0
	for _, b := range *bufs {
		n += len(b)
	}
	v.writes = append(v.writes, n)
	k, err := bufs.WriteTo(&v.out)
	return k, err
}

// TestWriterPieces: every piece of an answer, written or vectored, is at
// most writePiece bytes and goes under a deadline of its own, never past
// the answer's end, so a client that stops reading is cut within the stall
// timeout.
func TestWriterPieces(t *testing.T) {
	payload := bytes.Repeat([]byte{7}, 3*writePiece+100)
	for _, c := range []struct {
		name    string
		vectors bool
		write   func(w *Writer) (int64, error)
		pieces  []int
	}{
		{"Write", false, func(w *Writer) (int64, error) { n, err := w.Write(payload); return int64(n), err },
			[]int{writePiece, writePiece, writePiece, 100}},
		{"WriteBuffers without vectors", false, func(w *Writer) (int64, error) {
			return w.WriteBuffers([][]byte{payload[:10], payload[10:]})
		}, []int{10, writePiece, writePiece, writePiece, 90}},
		{"WriteBuffers", true, func(w *Writer) (int64, error) {
			return w.WriteBuffers([][]byte{payload[:10], payload[10:20], payload[20:]})
		}, []int{20, writePiece, writePiece, writePiece, 80}},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cn := &conn{}
				var rw http.ResponseWriter = cn
				if c.vectors {
					rw = vconn{cn}
				}
				start := time.Now()
				w := NewWriter(rw, 10*time.Second, 25*time.Second)
				n, err := c.write(w)
				require.NoError(t, err)
				assert.Equal(t, int64(len(payload)), n)
				assert.Equal(t, payload, cn.out.Bytes())
				assert.Equal(t, c.pieces, cn.writes)
				require.NotEmpty(t, cn.writeDeadlines)
				for _, d := range cn.writeDeadlines {
					assert.Equal(t, start.Add(10*time.Second), d, "a piece's deadline is the stall timeout from when it is sent")
				}
				time.Sleep(20 * time.Second) // the fake clock of the bubble
				_, err = w.Write([]byte{1})
				require.NoError(t, err)
				assert.Equal(t, start.Add(25*time.Second), cn.writeDeadlines[len(cn.writeDeadlines)-1], "no deadline runs past the answer's end")
			})
		})
	}
}

// TestDeadline: a body must bring min bytes in every window; a window
// that has them is done, and the next starts then; a trickle does not
// renew the window.
func TestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cn := &conn{}
		start := time.Now()
		d := NewDeadline(http.NewResponseController(cn), 30*time.Second, 1024, time.Time{})
		d.Arm()
		assert.Equal(t, start.Add(30*time.Second), cn.readDeadlines[0])

		time.Sleep(10 * time.Second)
		d.Count(1) // a trickle
		d.Arm()
		assert.Equal(t, start.Add(30*time.Second), cn.readDeadlines[1], "a byte now and then does not keep the connection")

		time.Sleep(10 * time.Second)
		d.Count(1023) // the window's minimum, in all
		d.Arm()
		assert.Equal(t, start.Add(50*time.Second), cn.readDeadlines[2], "a window with its bytes is done; the next starts now")

		until := start.Add(40 * time.Second) // before its window's end, start+50s
		bounded := NewDeadline(http.NewResponseController(cn), 30*time.Second, 1024, until)
		time.Sleep(15 * time.Second)
		bounded.Arm()
		assert.Equal(t, until, cn.readDeadlines[3], "no deadline runs past the session's end")

		bounded.Expire()
		assert.Equal(t, time.Now(), cn.readDeadlines[4])
	})
}

// TestReader counts what it reads into the window.
func TestReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cn := &conn{}
		d := NewDeadline(http.NewResponseController(cn), time.Second, 4, time.Time{})
		r := Reader{R: bytes.NewReader([]byte("abcdef")), D: d}
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		assert.Equal(t, "abcdef", string(b))
		assert.NotEmpty(t, cn.readDeadlines)
	})
}
