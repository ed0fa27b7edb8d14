package mkv

import (
	"errors"
	"io"
)

// readAhead is how much the streaming source asks the io.Reader for at
// least, so that element headers and small blocks do not cost a read call
// each. It is small next to a fragment, so the bytes read past a fragment's
// end and moved to the next buffer cost little.
const readAhead = 32 << 10

// source is the Reader's view of its input: a window buf[pos:end] of bytes
// that starts at input offset base. Over a []byte the window is the whole
// input. Over an io.Reader it holds the current fragment: two buffers
// alternate, so the previous fragment's blocks stay valid while the next one
// is read.
type source struct {
	r    io.Reader // nil for a []byte input
	bufs [2][]byte
	cur  int
	buf  []byte
	base int64
	pos  int
	end  int
	eof  bool  // no more input after buf[:end]
	err  error // read error other than io.EOF
	// limit bounds the bytes of one fragment: fill refuses to reach past
	// fragStart+limit. fragStart is where the current fragment began in buf.
	limit     int
	fragStart int
}

func newBytesSource(b []byte) *source {
	return &source{buf: b, end: len(b), eof: true, limit: MaxFragmentSize}
}

func newStreamSource(r io.Reader) *source {
	return &source{r: r, limit: MaxFragmentSize}
}

// offset returns the input offset of buf[pos].
func (s *source) offset() int64 { return s.base + int64(s.pos) }

// avail returns the bytes in the window from pos on.
func (s *source) avail() []byte { return s.buf[s.pos:s.end] }

// startFragment begins a new fragment. For a stream it switches to the other
// buffer and moves the unread bytes there, so the buffer of the fragment
// before stays untouched.
func (s *source) startFragment() {
	s.fragStart = s.pos
	if s.r == nil {
		return
	}
	left := s.buf[s.pos:s.end]
	s.cur ^= 1
	nb := s.bufs[s.cur]
	if cap(nb) < len(left) {
		nb = make([]byte, len(left), max(len(left), 2*readAhead))
	}
	nb = nb[:cap(nb)]
	copy(nb, left)
	s.bufs[s.cur] = nb
	s.buf = nb
	s.base += int64(s.pos)
	s.end = len(left)
	s.pos = 0
}

// errLimit reports a fill beyond the fragment limit.
var errLimit = errors.New("fragment limit")

// fill makes n bytes from pos available. It returns io.EOF (or
// io.ErrUnexpectedEOF when some but not all are there) when the input ends
// first, errLimit when n bytes would make the fragment exceed the limit, or
// the input's read error.
func (s *source) fill(n int) error {
	// The limit applies to what the input declares, before anything is
	// read, so that a []byte and a stream give the same answer whatever
	// happens to be buffered (found by FuzzReader in CI).
	if s.limit >= 0 && s.pos-s.fragStart+n > s.limit {
		return errLimit
	}
	if s.end-s.pos >= n {
		return nil
	}
	if s.r == nil || s.eof {
		if s.err != nil {
			return s.err
		}
		if s.end > s.pos {
			return io.ErrUnexpectedEOF
		}
		return io.EOF
	}
	need := s.pos + n
	// Read until need bytes are there, growing the buffer as they arrive
	// rather than to need at once: a size field can claim up to the
	// fragment limit, and a few bytes of input claiming a 48 MiB Cluster
	// must not cost 48 MiB (found with the fuzz allocation checks; see
	// TestFuzzFindings and remux TestBadInput).
	// Doubling keeps the buffer within twice the bytes read, plus
	// read-ahead.
	for s.end < need {
		if s.end == len(s.buf) {
			// Grow. Blocks already handed out keep pointing into the
			// old array, which is never written again.
			nb := make([]byte, max(2*len(s.buf), 2*readAhead))
			copy(nb, s.buf[:s.end])
			s.buf = nb
			s.bufs[s.cur] = nb
		}
		// Ask for what is missing plus some read-ahead, within the buffer.
		want := min(max(need-s.end, readAhead), len(s.buf)-s.end)
		got, err := io.ReadAtLeast(s.r, s.buf[s.end:s.end+want], min(need-s.end, want))
		s.end += got
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			s.eof = true
		default:
			s.eof = true
			s.err = err
			return err
		}
		if s.end > s.pos {
			return io.ErrUnexpectedEOF
		}
		return io.EOF
	}
	return nil
}

// skip advances pos by n; the bytes must have been filled.
func (s *source) skip(n int) { s.pos += n }
