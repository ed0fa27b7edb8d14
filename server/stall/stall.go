// Package stall holds the server's one rule for slow peers: a request body
// must bring a minimum of bytes in every window (Deadline, Reader), and a
// streamed answer must be taken by the client piece by piece within a
// stall timeout (Writer), so that a peer that stops sending or reading
// loses its connection and its slot instead of holding them.
package stall

import (
	"io"
	"net"
	"net/http"
	"time"
)

// Deadline is a minimum transfer rate enforced with the
// connection's read deadline: within every window at least min bytes must
// arrive. A window that has brought min bytes is done, and the next starts
// then. A client that sends nothing, or 1 byte now and then to look alive,
// loses its connection at the end of the window; one that sends steadily
// never meets the deadline, however long it streams.
type Deadline struct {
	rc     *http.ResponseController
	window time.Duration
	min    int64
	// until bounds every deadline (a session's end); zero for none.
	until time.Time
	start time.Time // of the current window
	got   int64     // bytes in the current window
}

// NewDeadline starts the rule of minBytes per window on rc's connection,
// every deadline bounded by until (zero for no bound).
func NewDeadline(rc *http.ResponseController, window time.Duration, minBytes int64, until time.Time) *Deadline {
	return &Deadline{rc: rc, window: window, min: minBytes, until: until, start: time.Now()}
}

// Arm sets the read deadline for the next read.
func (p *Deadline) Arm() {
	if p.got >= p.min {
		p.start, p.got = time.Now(), 0
	}
	deadline := p.start.Add(p.window)
	if !p.until.IsZero() && p.until.Before(deadline) {
		deadline = p.until
	}
	_ = p.rc.SetReadDeadline(deadline)
}

// Count adds n bytes to the current window.
func (p *Deadline) Count(n int) { p.got += int64(n) }

// Reader reads through a Deadline: each read is armed and counted.
type Reader struct {
	R io.Reader
	D *Deadline
}

// Read reads from R under D.
func (r Reader) Read(b []byte) (int, error) {
	r.D.Arm()
	n, err := r.R.Read(b)
	r.D.Count(n)
	return n, err
}

// writePiece is how much of a response goes out under one write deadline:
// a client must take it within WriteStallTimeout, so a client that reads
// at least writePiece bytes per WriteStallTimeout (6.4 KB/s at the
// defaults) keeps its response, and one that stops reading loses it.
const writePiece = 64 << 10

// Writer writes a response in pieces, renewing the write deadline
// before each, up to an overall end (WriteTimeout). A client that stops
// reading, such as one holding a GetClip slot, is cut off within the
// stall timeout instead of keeping the slot for the whole response time.
type Writer struct {
	w     io.Writer
	rc    *http.ResponseController
	stall time.Duration
	until time.Time
	// batch is the vector WriteBuffers is writing; vec keeps its backing
	// array for the next one.
	batch net.Buffers
	vec   net.Buffers
}

// NewWriter returns a Writer of w whose pieces must each be taken within
// stall, and the whole within total from now.
func NewWriter(w http.ResponseWriter, stall, total time.Duration) *Writer {
	return &Writer{w: w, rc: http.NewResponseController(w), stall: stall, until: time.Now().Add(total)}
}

// deadline renews the write deadline for the next piece.
func (s *Writer) deadline() {
	deadline := time.Now().Add(s.stall)
	if s.until.Before(deadline) {
		deadline = s.until
	}
	_ = s.rc.SetWriteDeadline(deadline)
}

// WriteBuffers writes the pieces of v in vectors of up to writePiece
// bytes, each under its own deadline. An http.ResponseWriter of net/http
// hands a ReadFrom of a *net.Buffers to its connection, which the server's
// listener makes one writev (connlimit's limitedConn.ReadFrom); a gathered clip
// flush then reaches the socket without first being copied together
// (clipio.BuffersWriter). Elsewhere (HTTP/2, TLS) the pieces go out as
// the writer takes them.
func (s *Writer) WriteBuffers(v [][]byte) (int64, error) {
	rf, ok := s.w.(io.ReaderFrom)
	if !ok {
		return WriteEach(s, v)
	}
	var n int64
	for len(v) > 0 {
		// The next vector: whole pieces up to writePiece bytes, or the
		// first writePiece bytes of a larger first piece. Its slice is
		// reused from vector to vector (writing it consumes it).
		s.batch = s.vec[:0]
		size := 0
		for len(v) > 0 && size < writePiece {
			p := v[0]
			if size+len(p) > writePiece {
				if size > 0 {
					break
				}
				s.batch, v[0] = append(s.batch, p[:writePiece]), p[writePiece:]
				size = writePiece
				break
			}
			s.batch, size, v = append(s.batch, p), size+len(p), v[1:]
		}
		s.vec = s.batch[:0]
		s.deadline()
		k, err := rf.ReadFrom(&s.batch)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// WriteEach writes the pieces of v to w one Write each: the fallback of a
// vectored write to a writer that takes no vectors.
func WriteEach(w io.Writer, v [][]byte) (int64, error) {
	var n int64
	for _, p := range v {
		k, err := w.Write(p)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Write writes p in pieces of writePiece bytes, each under its own
// deadline.
func (s *Writer) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), writePiece)
		s.deadline()
		m, err := s.w.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// Expire makes a read in progress, and every later one, fail now: the
// connection's reader is being taken away (a newer session replaced it).
func (p *Deadline) Expire() { _ = p.rc.SetReadDeadline(time.Now()) }
