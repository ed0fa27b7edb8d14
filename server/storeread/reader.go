// Package storeread reads stored fragments for the server's answers: the
// sample indexes of a clip through a cache, a clip's payload spans ahead
// of its writer within a read budget that every clip in flight shares,
// whole documents in chunks for GetMedia and GetMediaForFragmentList, and
// the recycled buffers all of them read into. It bounds the memory the
// server's reads hold, whatever the number and size of the answers.
package storeread

import (
	"context"
	"fmt"
	"io"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
)

// Reader reads one store's fragments for answers. It is safe for
// concurrent use; a server has one.
type Reader struct {
	store  archive.Store
	budget *readBudget
	bufs   spanBuffers
	idx    *indexCache
}

// New returns a Reader of store whose clips read ahead within readAhead
// bytes in all (Config.ClipReadAheadBytes) and that keeps up to
// indexCache bytes of sample indexes (negative: none).
func New(store archive.Store, readAhead, indexCache int64) *Reader {
	return &Reader{store: store, budget: newReadBudget(readAhead), idx: newIndexCache(indexCache)}
}

// Source returns the payload source of a clip of frags of stream.
func (s *Reader) Source(stream string, frags []kvs.Fragment) *ClipSource {
	return &ClipSource{s: s, stream: stream, frags: frags}
}

// CachedIndex returns the kept index of a stream's fragment, or nil.
func (s *Reader) CachedIndex(streamARN, number string) *fragindex.Index {
	return s.idx.get(streamARN + "/" + number)
}

// KeepIndex keeps a fragment's index for the next answers that need it.
func (s *Reader) KeepIndex(streamARN, number string, x *fragindex.Index) {
	s.idx.put(streamARN+"/"+number, x)
}

// DocumentChunk is how much of a document Documents reads at a time: an
// answer holds two (one being written, one read ahead), so its memory does
// not grow with the fragments' sizes (up to 50 MB each).
const DocumentChunk = 1 << 20

// Chunk is a piece of a document read, or the error that ended reading.
type Chunk struct {
	B   []byte
	Err error
}

// Documents reads the documents of frags one chunk at a time, ahead of the
// caller by one chunk, until ctx ends or a read fails (the last chunk then
// carries the error). The caller gives each chunk's bytes back with
// Recycle when it has written them.
func (s *Reader) Documents(ctx context.Context, stream string, frags []kvs.Fragment) <-chan Chunk {
	out := make(chan Chunk, 1)
	go func() {
		defer close(out)
		for _, f := range frags {
			for off := int64(0); off < f.Size; off += DocumentChunk {
				b := s.bufs.get(min(DocumentChunk, f.Size-off))
				n, err := s.store.ReadAt(ctx, stream, f.Number, b, off)
				if n == len(b) {
					err = nil
				} else if err == nil || err == io.EOF {
					err = fmt.Errorf("fragment %s: %d bytes at %d of %d: %w", f.Number, n, off, f.Size, io.ErrUnexpectedEOF)
				}
				if err != nil {
					s.bufs.put(b)
					b = nil
				}
				select {
				case out <- Chunk{b, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}
	}()
	return out
}

// Recycle gives back the bytes of a Chunk, which nothing may use afterwards.
func (s *Reader) Recycle(b []byte) { s.bufs.put(b) }
