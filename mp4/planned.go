package mp4

import "slices"

// A planned clip — every fragment known from indexes before a payload is
// read — is written by its own code rather than by Writer: its moofs are
// made again for each request, for a byte range only those it covers, and
// its payloads come from wherever the caller reads them. FragmentHeader
// encodes those moofs from samples described by size (Sample.Size); the
// caller sends the boxes and payloads to its sink.

// FragmentHeader encodes the moof and mdat header of fragments whose
// samples may be described by Sample.Size instead of Data: the bytes
// Writer.WriteFragment writes in front of the payloads.
type FragmentHeader struct {
	h     fragmentHeader
	ids   []uint32
	descs []uint32
}

// NewFragmentHeader returns a FragmentHeader for the tracks, validated as
// NewWriter validates them.
func NewFragmentHeader(tracks []Track) (*FragmentHeader, error) {
	if err := validateTracks(tracks); err != nil {
		return nil, err
	}
	e := &FragmentHeader{h: fragmentHeader{sizes: true}}
	for i := range tracks {
		e.ids = append(e.ids, tracks[i].ID)
		e.descs = append(e.descs, uint32(1+len(tracks[i].Alternates)))
	}
	return e, nil
}

// Plan lays out the moof of f, checked as WriteFragment checks it, and
// returns the size of the moof and mdat header and that of the payloads
// that follow them (0 and 0 for a fragment without samples). f must not
// change until Append.
func (e *FragmentHeader) Plan(f *Fragment) (header int, payload int64, err error) {
	if err := e.h.plan(f, e.ids, e.descs); err != nil {
		return 0, 0, err
	}
	if len(e.h.trafs) == 0 {
		return 0, 0, nil
	}
	return e.h.MarshalSize(), e.h.payload, nil
}

// Append appends the fragment laid out by the last Plan, its moof
// numbered seq (Writer numbers them from 1 in file order), and the mdat
// header.
func (e *FragmentHeader) Append(dst []byte, seq uint32) []byte {
	if len(e.h.trafs) == 0 {
		return dst
	}
	e.h.seq = seq
	n, size := len(dst), e.h.MarshalSize()
	dst = slices.Grow(dst, size)[:n+size]
	e.h.MarshalTo(dst[n:])
	return dst
}
