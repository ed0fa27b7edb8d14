package server

import (
	"context"
	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/mkv"
)

// GetClip reads fragments ahead of the one being written: with an object
// store each Read is a round trip, and reading one fragment at a time would
// put every round trip on the clip's critical path. The read-ahead is
// bounded by a count and by bytes, since a clip's memory is multiplied by
// MaxConcurrentGetClips.
const (
	// prefetchMaxFragments is the most reads in flight or waiting to be
	// written, per clip. Eight hide the latency of a nearby object store
	// for fragments of a few hundred KB.
	prefetchMaxFragments = 8
	// prefetchMaxBytes bounds the documents read ahead, per clip; at
	// least one fragment is always read ahead whatever its size.
	prefetchMaxBytes = 16 << 20
)

// prefetcher reads a clip's fragments concurrently and hands them over in
// order.
type prefetcher struct {
	results []chan readResult
	done    chan struct{}
	slots   chan struct{}
	i       int
}

type readResult struct {
	doc []byte
	err error
}

// prefetch starts reading frags[i] for each i of chosen, in that order.
// Call next once per chosen fragment and close at the end.
func (s *Server) prefetch(ctx context.Context, stream string, frags []archive.Fragment, chosen []int) *prefetcher {
	var largest int64
	for _, i := range chosen {
		largest = max(largest, frags[i].Size)
	}
	window := prefetchMaxFragments
	if largest > 0 {
		window = int(min(int64(window), max(1, prefetchMaxBytes/largest)))
	}
	p := &prefetcher{
		results: make([]chan readResult, len(chosen)),
		done:    make(chan struct{}),
		slots:   make(chan struct{}, window),
	}
	for k := range p.results {
		// Buffered, so a read finishing after the clip ended does not
		// block its goroutine.
		p.results[k] = make(chan readResult, 1)
	}
	go func() {
		for k, i := range chosen {
			select {
			case p.slots <- struct{}{}: // freed by next
			case <-p.done:
				return
			}
			go func() {
				doc, err := s.cfg.Store.Read(ctx, stream, frags[i].Number)
				p.results[k] <- readResult{doc, err}
			}()
		}
	}()
	return p
}

// next returns the next fragment, parsed. Each document is its own byte
// slice and the fragment points into it, so it stays valid while the
// clipper holds it back for the next Add.
func (p *prefetcher) next() (*mkv.Fragment, error) {
	r := <-p.results[p.i]
	p.i++
	<-p.slots
	if r.err != nil {
		return nil, r.err
	}
	return mkv.NewBytesReader(r.doc).Next()
}

// close stops starting reads; those in flight finish on their own.
func (p *prefetcher) close() { close(p.done) }
