package mp4

import (
	"io"
	"slices"
)

// pieces is one fragment's output as the encoder hands it on: the boxes in
// front of the payloads, encoded into a reused buffer, and the payloads by
// reference. How they reach the operating system — gathered, vectored,
// written behind — is the sink's business (VectorWriter).
type pieces struct {
	head []byte
	vec  [][]byte // reused; emptied after each send, so no payload stays referenced
}

// header returns the reused buffer for the n bytes of boxes in front of the
// payloads.
func (p *pieces) header(n int) []byte {
	if cap(p.head) < n {
		p.head = make([]byte, n)
	}
	return p.head[:n]
}

// reserve makes room in the list for every payload of trafs, so that it
// grows once, to the largest fragment, rather than by doubling.
func (p *pieces) reserve(trafs []trafPlan) {
	n := 0
	for i := range trafs {
		n += len(trafs[i].run.Samples)
	}
	p.vec = slices.Grow(p.vec, n)
}

// addRun lists the payloads of r.
func (p *pieces) addRun(r *TrackRun) {
	for j := range r.Samples {
		p.vec = append(p.vec, r.Samples[j].Data)
	}
}

// send writes head and the listed payloads: in one call to vw when the
// sink is a VectorWriter, else one Write call to w per piece.
func (p *pieces) send(w io.Writer, vw VectorWriter, head []byte) error {
	var err error
	if vw != nil {
		err = vw.WriteVector(head, p.vec)
	} else {
		err = writeEach(w, head, p.vec)
	}
	clear(p.vec)
	p.vec = p.vec[:0]
	return err
}

// writeEach writes head, when there is one, and then each payload.
func writeEach(w io.Writer, head []byte, payloads [][]byte) error {
	if len(head) > 0 {
		if _, err := w.Write(head); err != nil {
			return err
		}
	}
	for _, b := range payloads {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
