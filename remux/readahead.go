package remux

import (
	"context"
	"sync"
)

// The bounds of a ReadAhead when ReadAheadOptions leaves them 0. They are
// per write, so a service's memory for clips is these times the writes it
// runs at once.
const (
	// DefaultReadAheadBytes bounds the bytes read ahead and not yet
	// written: 16 MiB is several fragments of a camera stream (a 2 s
	// fragment of 1080p is 1 to 2 MB), enough to keep reads going while
	// the client takes the bytes.
	DefaultReadAheadBytes = 16 << 20
	// DefaultReadAheadReads bounds the reads in flight or waiting: eight
	// hide the latency of a nearby object store for fragments of a few
	// hundred KB.
	DefaultReadAheadReads = 8
)

// ReadAheadOptions bounds a ReadAhead.
type ReadAheadOptions struct {
	// MaxBytes bounds the bytes of the spans being read, read and not yet
	// asked for, and the one last handed out; one span is read whatever
	// its size. 0 means DefaultReadAheadBytes.
	MaxBytes int64
	// MaxReads bounds the number of those spans. 0 means
	// DefaultReadAheadReads.
	MaxReads int
}

// ReadFunc reads one span of a fragment's stored document: a ranged read
// of the object or file that holds it. The slice is the ReadAhead's to
// hand on; the ReadFunc must not change it afterwards.
type ReadFunc func(ctx context.Context, s Span) ([]byte, error)

// ReadAhead is the Payloads of one write of a planned clip whose
// documents are read by ranges (an object store): it reads the spans the
// write will ask for (PlannedClip.Spans) ahead of it, several at once, in
// order, within its bounds, so the round trips of the reads overlap each
// other and the writing. A request that is not the next span is read at
// once. Its Payload is for one writer at a time.
type ReadAhead struct {
	read     ReadFunc
	spans    []Span
	maxBytes int64
	maxReads int
	ctx      context.Context
	cancel   context.CancelFunc
	results  []chan readResult
	freed    chan struct{}

	mu    sync.Mutex
	count int   // spans started and not let go
	bytes int64 // their bytes

	// The writer's side.
	next int // the span expected next
	held int // the span handed out last, -1 if none
}

// readResult is one span read.
type readResult struct {
	b   []byte
	err error
}

// NewReadAhead starts reading spans with read, ahead of the calls to
// Payload that will ask for them. Close ends it.
func NewReadAhead(ctx context.Context, spans []Span, read ReadFunc, opts *ReadAheadOptions) *ReadAhead {
	r := &ReadAhead{read: read, spans: spans, maxBytes: DefaultReadAheadBytes, maxReads: DefaultReadAheadReads, held: -1}
	if opts != nil && opts.MaxBytes > 0 {
		r.maxBytes = opts.MaxBytes
	}
	if opts != nil && opts.MaxReads > 0 {
		r.maxReads = opts.MaxReads
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.results = make([]chan readResult, len(spans))
	for k := range r.results {
		// Buffered, so a read that ends after Close does not block.
		r.results[k] = make(chan readResult, 1)
	}
	r.freed = make(chan struct{}, 1)
	go r.launch()
	return r
}

// launch starts the reads in order as the bounds let it. The reads run on
// maxReads goroutines that live as long as the write rather than on one
// goroutine per read: a read through an object store's SDK runs deep
// stacks, and a new goroutine per read grew its stack anew each time.
func (r *ReadAhead) launch() {
	next := make(chan int)
	defer close(next)
	for range min(r.maxReads, len(r.spans)) {
		go func() {
			for k := range next {
				b, err := r.read(r.ctx, r.spans[k])
				r.results[k] <- readResult{b, err}
			}
		}()
	}
	for k, s := range r.spans {
		for !r.admit(s.Size) {
			select {
			case <-r.freed:
			case <-r.ctx.Done():
				return
			}
		}
		select {
		case next <- k:
		case <-r.ctx.Done():
			return
		}
	}
}

// admit counts a span of size bytes in if the bounds allow it.
func (r *ReadAhead) admit(size int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count >= r.maxReads || r.count > 0 && r.bytes+size > r.maxBytes {
		return false
	}
	r.count++
	r.bytes += size
	return true
}

// letGo counts the span handed out last out, now that the writer is done
// with it.
func (r *ReadAhead) letGo() {
	if r.held < 0 {
		return
	}
	r.mu.Lock()
	r.count--
	r.bytes -= r.spans[r.held].Size
	r.mu.Unlock()
	r.held = -1
	select {
	case r.freed <- struct{}{}:
	default:
	}
}

// Payload returns the next span when it is the one asked for, waiting for
// its read, and otherwise reads what is asked for.
func (r *ReadAhead) Payload(ctx context.Context, frag int, off, n int64) ([]byte, error) {
	r.letGo()
	s := Span{Fragment: frag, Offset: off, Size: n}
	if r.next >= len(r.spans) || r.spans[r.next] != s {
		return r.read(ctx, s)
	}
	k := r.next
	r.next++
	select {
	case res := <-r.results[k]:
		r.held = k
		return res.b, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-r.ctx.Done():
		// Closed (or the context NewReadAhead was given ended): the
		// span may never be read.
		return nil, r.ctx.Err()
	}
}

// Close stops the reads still to come or under way; the spans handed out
// must not be used after it.
func (r *ReadAhead) Close() {
	r.cancel()
}
