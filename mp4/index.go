package mp4

import (
	"encoding/binary"
	"io"
	"math"

	"github.com/kvsclip/kvsclip/kvs"
)

// Index describes a whole fragmented MP4 before its first byte is written:
// its length, for the movie extends header (mehd), and where each fragment
// is and how long it lasts, for a segment index (sidx). A player that finds
// them shows the true duration of a fragmented file at once and can seek
// in it with byte ranges; without them it knows only the fragments it has
// read.
type Index struct {
	// Duration is the presentation length of the longest track, in
	// milliseconds (the movie timescale of the init segment).
	Duration uint64
	// ReferenceID is the track the sidx times are counted on (the video
	// track), Timescale that track's timescale.
	ReferenceID uint32
	Timescale   uint32
	// EarliestPresentationTime is the presentation time of the reference
	// track's first sample, in Timescale units on the media time line.
	EarliestPresentationTime uint64
	// Fragments lists every moof+mdat in file order.
	Fragments []IndexEntry
}

// IndexEntry is one fragment of an Index.
type IndexEntry struct {
	// Size is the fragment's moof+mdat size in bytes.
	Size int64
	// Duration is the fragment's length on the reference track.
	Duration uint64
	// StartsWithSAP says that the reference track's first sample in the
	// fragment is a sync sample.
	StartsWithSAP bool
}

// sidxSize returns the size of a version 1 sidx with n references.
func sidxSize(n int) int { return fullHeaderSize + 4 + 4 + 8 + 8 + 2 + 2 + 12*n }

// NewIndexedWriter is NewWriter for a clip whose fragments are all known:
// the init segment carries a mehd with idx.Duration and is followed by a
// sidx listing idx.Fragments, so WriteInit writes ftyp, moov and sidx. The
// fragments written after it must be the ones idx lists.
func NewIndexedWriter(w io.Writer, tracks []Track, idx *Index) (*Writer, error) {
	wr, err := NewWriter(w, tracks)
	if err != nil {
		return nil, err
	}
	if wr.init, err = IndexedInit(tracks, idx); err != nil {
		return nil, err
	}
	return wr, nil
}

// IndexedInit returns what NewIndexedWriter's WriteInit writes — ftyp,
// moov with mehd, sidx — for a caller that writes the fragments itself
// (FragmentHeader).
func IndexedInit(tracks []Track, idx *Index) ([]byte, error) {
	init, sidx, err := indexedHeader(tracks, idx)
	if err != nil {
		return nil, err
	}
	return append(init, sidx...), nil
}

// indexedHeader builds the init segment of tracks with the mehd of idx,
// and idx's sidx.
func indexedHeader(tracks []Track, idx *Index) (init, sidx []byte, err error) {
	if err := validateTracks(tracks); err != nil {
		return nil, nil, err
	}
	init, err = buildInit(tracks, true, idx.Duration)
	if err != nil {
		return nil, nil, kvs.Errorf(kvs.InvalidArgument, "building init segment: %w", err)
	}
	if sidx, err = encodeSidx(idx); err != nil {
		return nil, nil, err
	}
	return init, sidx, nil
}

// encodeSidx writes one sidx whose references are the fragments, each a
// media reference starting at the byte after the previous one.
func encodeSidx(idx *Index) ([]byte, error) {
	if len(idx.Fragments) > math.MaxUint16 {
		return nil, kvs.Errorf(kvs.InvalidArgument, "%d fragments do not fit one sidx (65535): %w", len(idx.Fragments), ErrInvalidFragment)
	}
	n := sidxSize(len(idx.Fragments))
	b := make([]byte, n)
	o := putFullBoxHeader(b, 0, n, "sidx", 1, 0)
	o = put32(b, o, idx.ReferenceID)
	o = put32(b, o, idx.Timescale)
	binary.BigEndian.PutUint64(b[o:], idx.EarliestPresentationTime)
	o += 8
	binary.BigEndian.PutUint64(b[o:], 0) // first_offset: the fragments follow at once
	o += 8
	o += 2 // reserved
	binary.BigEndian.PutUint16(b[o:], uint16(len(idx.Fragments)))
	o += 2
	for _, f := range idx.Fragments {
		// reference_type 0 (media) leaves the top bit clear, so the size
		// has 31 bits; a KVS fragment is at most 50 MB.
		if f.Size <= 0 || f.Size > math.MaxInt32 || f.Duration > math.MaxUint32 {
			return nil, kvs.Errorf(kvs.InvalidArgument, "fragment of %d bytes and %d units cannot be indexed: %w", f.Size, f.Duration, ErrFragmentTooLarge)
		}
		o = put32(b, o, uint32(f.Size))
		o = put32(b, o, uint32(f.Duration))
		var sap uint32
		if f.StartsWithSAP {
			sap = 1<<31 | 1<<28 // starts_with_SAP, SAP_type 1
		}
		o = put32(b, o, sap)
	}
	return b, nil
}

// A fragmented MP4 can also be written in one pass when its destination is
// a file: the fragments go out as they complete, behind room left for the
// header, and the header — ftyp, moov with mehd, sidx — is put in front at
// the end, when the index is known. The room is sized for an upper bound of
// fragments; what the index does not use becomes a free box between the
// moov and the sidx, so the sidx still sits right before the first moof, as
// players expect. See ReservedHeaderSize, ReservedHeader and
// Writer.SkipInit.

// freeHeaderSize is the smallest free box: a header and no payload.
const freeHeaderSize = boxHeaderSize

// ReservedHeaderSize returns the room to leave in front of the fragments
// for the header of an indexed fMP4 of tracks with at most n fragments:
// the init segment with mehd, a sidx of n references and a free box
// header.
func ReservedHeaderSize(tracks []Track, n int) (int, error) {
	if n < 0 || n > math.MaxUint16 {
		return 0, kvs.Errorf(kvs.InvalidArgument, "room for %d fragments: one sidx indexes 0 to 65535: %w", n, ErrInvalidFragment)
	}
	if err := validateTracks(tracks); err != nil {
		return 0, err
	}
	init, err := buildInit(tracks, true, 0)
	if err != nil {
		return 0, kvs.Errorf(kvs.InvalidArgument, "building init segment: %w", err)
	}
	return len(init) + freeHeaderSize + sidxSize(n), nil
}

// ReservedHeader returns the header of an indexed fMP4 laid out in exactly
// size bytes: what NewIndexedWriter's WriteInit writes (ftyp, moov with
// mehd, sidx), with a free box between the moov and the sidx taking up the
// bytes the index does not need. The fragments idx lists follow it at
// once. An index that needs more than size bytes, or leaves fewer spare
// bytes than a free box takes (8), is an error wrapping ErrNoRoom.
func ReservedHeader(tracks []Track, idx *Index, size int) ([]byte, error) {
	init, sidx, err := indexedHeader(tracks, idx)
	if err != nil {
		return nil, err
	}
	spare := size - len(init) - len(sidx)
	if spare != 0 && spare < freeHeaderSize {
		return nil, kvs.Errorf(kvs.InvalidArgument, "a header of %d bytes (%d fragments) in %d bytes of room: %w",
			len(init)+len(sidx), len(idx.Fragments), size, ErrNoRoom)
	}
	b := make([]byte, size)
	o := copy(b, init)
	if spare > 0 {
		putBoxHeader(b, o, spare, "free")
		o += spare // the free box's payload stays zero
	}
	copy(b[o:], sidx)
	return b, nil
}

// SkipInit lets WriteFragment be called without WriteInit, for a caller
// that writes the init segment itself — such as ReservedHeader, once the
// fragments have been written behind its room. The sink then receives the
// fragments only.
func (w *Writer) SkipInit() { w.initDone = true }
