package storeread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// clipReadsInFlight bounds one clip's payload reads in flight. An object
// store's throughput grows with the requests in flight, up to a point: the
// 200 fragment objects of a whole-cap clip (460 KB each) came whole from a
// local versitygw, over kept-alive connections, in 94 ms 8 at once, 87 ms
// 16 at once and 100 ms 32 at once. The read budget, not this count,
// bounds the memory.
const clipReadsInFlight = 16

// indexReads bounds the index reads of one clip in flight at once: with an
// object store each is a round trip, and 16 of them overlap enough to
// fetch the 200 indexes of a whole GetClip in a few round trips' time
// without one clip taking every connection to the store.
const indexReads = 16

// Indexes fetches the sample indexes of frags, in parallel. A fragment
// whose index cannot be had (missing, damaged beyond rebuilding, the store
// failing) fails the clip before its first byte, with a log line that
// names the fragment.
func (s *Reader) Indexes(ctx context.Context, log *slog.Logger, st archive.Stream, frags []kvs.Fragment) ([]*fragindex.Index, error) {
	stream := st.Name
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idx := make([]*fragindex.Index, len(frags))
	var missing []int
	for k, f := range frags {
		if idx[k] = s.idx.get(st.ARN + "/" + f.Number); idx[k] == nil {
			missing = append(missing, k)
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(indexReads, len(missing)) {
		wg.Go(func() {
			for k := range next {
				x, err := s.store.Index(ctx, stream, frags[k])
				if err == nil && x.DocSize != frags[k].Size {
					err = fmt.Errorf("archive: index of fragment %s describes %d bytes, the fragment has %d", frags[k].Number, x.DocSize, frags[k].Size)
				}
				if err == nil {
					s.idx.put(st.ARN+"/"+frags[k].Number, x)
				}
				if err != nil {
					if ctx.Err() == nil {
						log.Error("clip: fragment index", "stream", stream, "fragment", frags[k].Number, "err", err)
						if errors.Is(err, archive.ErrFragmentNotFound) {
							err = httpapi.Errorf(kvs.ResourceNotFound, "Fragment %s of stream %s is listed but cannot be read.", frags[k].Number, stream)
						}
					}
					cancel(err) // the first cause stays
					continue
				}
				idx[k] = x
			}
		})
	}
feed:
	for _, k := range missing {
		select {
		case next <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return idx, nil
}

// ClipSource is a clip's payload source: ranged reads of the stored
// documents. Planning reads through it directly (only frames whose bytes
// change in the MP4, which are rare); a write reads through its ReadAhead,
// each span counted against the server's read budget from its read until
// the writer asks for the next one.
type ClipSource struct {
	s      *Reader
	stream string
	frags  []kvs.Fragment
	reads  *clipReads
	ahead  *remux.ReadAhead
	// turns numbers the spans of the write in the order it takes them.
	turns map[remux.Span]int
	// held is the buffer of the span handed to the writer last (its whole
	// document when read so), spans how many it has had.
	held  []byte
	spans int
}

// wholeDocSlack is how much of a fragment's document a span may leave out
// and still be read as the whole document. Object stores serve a whole
// object faster than a part of it: versitygw answered the 200 ranged GETs
// of a clip (each span starts after its document's headers) in 172 ms,
// and GETs of the same 200 objects whole in 87 ms. A span leaves out the
// document's EBML header, Tracks and tags, a few KB.
const wholeDocSlack = 64 << 10

// Start begins a write of spans within the server's read budget.
func (src *ClipSource) Start(ctx context.Context, spans []remux.Span) {
	src.reads = src.s.budget.join()
	src.turns = make(map[remux.Span]int, len(spans))
	for k, sp := range spans {
		src.turns[sp] = k
	}
	src.ahead = remux.NewReadAhead(ctx, spans, src.read, &remux.ReadAheadOptions{MaxBytes: src.s.budget.total, MaxReads: clipReadsInFlight})
}

// Close ends the write: reads under way stop, and everything it held
// goes back.
func (src *ClipSource) Close() {
	src.ahead.Close()
	src.done()
	src.reads.leave()
}

// Payload serves the writer through the read-ahead, or planning directly.
func (src *ClipSource) Payload(ctx context.Context, frag int, off, n int64) ([]byte, error) {
	if src.ahead == nil {
		return src.readAt(ctx, frag, off, n)
	}
	// The writer is done with the span before: its bytes go back.
	src.done()
	b, err := src.ahead.Payload(ctx, frag, off, n)
	if err != nil {
		return nil, err
	}
	src.held = b
	src.spans++
	if int64(len(b)) != n {
		// read gave the whole document: the span is a part of it.
		b = b[off : off+n]
	}
	return b, nil
}

// Served tells whether the writer has had a span.
func (src *ClipSource) Served() bool { return src.spans > 0 }

// done gives back the span handed out last, to the budget and the buffers.
func (src *ClipSource) done() {
	if src.held == nil {
		return
	}
	src.reads.release(int64(cap(src.held)))
	src.s.bufs.put(src.held)
	src.held = nil
}

// read is the ReadAhead's ReadFunc: one ranged read within the budget. A
// span that is nearly its whole document (wholeDocSlack) is read, and
// returned, as the document; Payload cuts the span out of it.
func (src *ClipSource) read(ctx context.Context, sp remux.Span) ([]byte, error) {
	off, n := sp.Offset, sp.Size
	if doc := src.frags[sp.Fragment].Size; sp.Size > 0 && sp.Offset+sp.Size <= doc && doc-sp.Size <= wholeDocSlack {
		off, n = 0, doc
	}
	// The budget counts the buffer, which its size class rounds up.
	held := n
	if c := spanClass(n); c >= 0 {
		held = 1 << (spanMinShift + c)
	}
	turn, ok := src.turns[sp]
	if !ok {
		// Not a span of the list: read outside the budget's order.
		return src.readAt(ctx, sp.Fragment, sp.Offset, sp.Size)
	}
	if err := src.reads.acquire(ctx, turn, held); err != nil {
		return nil, err
	}
	b := src.s.bufs.get(n)
	if err := src.fill(ctx, b, sp.Fragment, off); err != nil {
		src.reads.release(held)
		src.s.bufs.put(b)
		return nil, err
	}
	return b, nil
}

// readAt reads n bytes at off of fragment frag's document into a buffer
// of its own.
func (src *ClipSource) readAt(ctx context.Context, frag int, off, n int64) ([]byte, error) {
	b := make([]byte, n)
	if err := src.fill(ctx, b, frag, off); err != nil {
		return nil, err
	}
	return b, nil
}

// ReadAt reads len(b) bytes at off of fragment frag's document, outside
// the budget: a read of its own (GetImages' one frame).
func (src *ClipSource) ReadAt(ctx context.Context, b []byte, frag int, off int64) error {
	return src.fill(ctx, b, frag, off)
}

// fill reads len(b) bytes at off of fragment frag's document.
func (src *ClipSource) fill(ctx context.Context, b []byte, frag int, off int64) error {
	n := int64(len(b))
	got, err := src.s.store.ReadAt(ctx, src.stream, src.frags[frag].Number, b, off)
	if got == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = fmt.Errorf("fragment %s: %d bytes at %d, want %d: %w", src.frags[frag].Number, got, off, n, io.ErrUnexpectedEOF)
	}
	return err
}

// LogPayloadError logs a payload failure with the fragment it names.
func LogPayloadError(log *slog.Logger, err error) {
	var pe *remux.PayloadError
	if errors.As(err, &pe) {
		log.Error("clip: fragment payload", "fragment", pe.Fragment, "offset", pe.Offset, "size", pe.Size, "err", pe.Err)
	}
}
