package server

import (
	"io"
	"net"
	"net/http"
	"time"
)

// progressDeadline is a minimum transfer rate enforced with the
// connection's read deadline: within every window at least min bytes must
// arrive. A window that has brought min bytes is done, and the next starts
// then. A client that sends nothing, or 1 byte now and then to look alive,
// loses its connection at the end of the window; one that sends steadily
// never meets the deadline, however long it streams.
type progressDeadline struct {
	rc     *http.ResponseController
	window time.Duration
	min    int64
	// until bounds every deadline (a session's end); zero for none.
	until time.Time
	start time.Time // of the current window
	got   int64     // bytes in the current window
}

func newProgressDeadline(rc *http.ResponseController, window time.Duration, minBytes int64, until time.Time) *progressDeadline {
	return &progressDeadline{rc: rc, window: window, min: minBytes, until: until, start: time.Now()}
}

// arm sets the read deadline for the next read.
func (p *progressDeadline) arm() {
	if p.got >= p.min {
		p.start, p.got = time.Now(), 0
	}
	deadline := p.start.Add(p.window)
	if !p.until.IsZero() && p.until.Before(deadline) {
		deadline = p.until
	}
	_ = p.rc.SetReadDeadline(deadline)
}

// progressReader reads through a progressDeadline.
type progressReader struct {
	r io.Reader
	p *progressDeadline
}

func (r progressReader) Read(b []byte) (int, error) {
	r.p.arm()
	n, err := r.r.Read(b)
	r.p.got += int64(n)
	return n, err
}

// writePiece is how much of a response goes out under one write deadline:
// a client must take it within WriteStallTimeout, so a client that reads
// at least writePiece bytes per WriteStallTimeout (6.4 KB/s at the
// defaults) keeps its response, and one that stops reading loses it.
const writePiece = 64 << 10

// stallWriter writes a response in pieces, renewing the write deadline
// before each, up to an overall end (WriteTimeout). A client that stops
// reading, such as one holding a GetClip slot, is cut off within the
// stall timeout instead of keeping the slot for the whole response time.
type stallWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	stall time.Duration
	until time.Time
	// batch is the vector WriteBuffers is writing; vec keeps its backing
	// array for the next one.
	batch net.Buffers
	vec   net.Buffers
}

func (s *Server) newStallWriter(w http.ResponseWriter) *stallWriter {
	return &stallWriter{w: w, rc: http.NewResponseController(w), stall: s.cfg.WriteStallTimeout, until: time.Now().Add(s.cfg.WriteTimeout)}
}

// deadline renews the write deadline for the next piece.
func (s *stallWriter) deadline() {
	deadline := time.Now().Add(s.stall)
	if s.until.Before(deadline) {
		deadline = s.until
	}
	_ = s.rc.SetWriteDeadline(deadline)
}

// WriteBuffers writes the pieces of v in vectors of up to writePiece
// bytes, each under its own deadline. An http.ResponseWriter of net/http
// hands a ReadFrom of a *net.Buffers to its connection, which the server's
// listener makes one writev (limitedConn.ReadFrom); a gathered clip
// flush then reaches the socket without first being copied together
// (clipio.BuffersWriter). Elsewhere (HTTP/2, TLS) the pieces go out as
// the writer takes them.
func (s *stallWriter) WriteBuffers(v [][]byte) (int64, error) {
	rf, ok := s.w.(io.ReaderFrom)
	if !ok {
		return writeEach(s, v)
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

// writeEach writes the pieces of v to w one Write each.
func writeEach(w io.Writer, v [][]byte) (int64, error) {
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

func (s *stallWriter) Write(p []byte) (int, error) {
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
