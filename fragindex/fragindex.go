// Package fragindex is the sample index of one stored KVS fragment: where
// each frame's bytes lie inside the fragment's stored document, its time and
// flags, and the header (tracks and codec data) in force for it.
//
// The archive writes an index beside every fragment at ingest, so that a
// clip, a byte range of a clip or a playlist can be planned to the byte from
// indexes alone, and the payloads then read as ranges of the documents.
//
// # Public on purpose
//
// Some exported names are used by no code of this module outside the
// package and are public for callers all the same (make api-check holds
// the list, api/public-on-purpose.txt): the Err* sentinels, which callers
// test with errors.Is; MarshalSize, MarshalTo and Index.Unmarshal, the
// usual shape of a wire struct; and MaxUnmarshalAlloc, the bound
// Unmarshal promises.
package fragindex

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/mkv"
)

// Flags are a sample's boolean facts.
type Flags uint8

// The flags of a sample.
const (
	// Keyframe: the block is a key frame (mkv.Block.Keyframe).
	Keyframe Flags = 1 << iota
	// Invisible and Discardable: mkv.Block's flags of the same names.
	Invisible
	Discardable
	// HasDuration: the block had a BlockDuration (Sample.Duration).
	HasDuration
	// LengthPrefixed: the frame is a whole number of NAL units, each behind
	// a 4-byte big-endian length (AVCC with 4-byte lengths), so an H.264 or
	// H.265 clip can carry its bytes unchanged. Set only for frames of
	// H.264 and H.265 tracks that were checked at indexing.
	LengthPrefixed
)

// Sample is one frame of the fragment, in the order of the document.
type Sample struct {
	// Offset is where the frame's bytes begin in the stored document, and
	// Size is their length.
	Offset int64
	Size   uint32
	// Track is the Matroska track number.
	Track uint64
	// Time is the block's timecode (Cluster timecode plus the block's
	// relative timecode) in units of the header's TimecodeScale, as in
	// mkv.Block.Time.
	Time int64
	// Duration is the BlockDuration in timecode units when Flags has
	// HasDuration.
	Duration uint64
	// Lace is the frame's index in its lace; 0 for unlaced blocks.
	Lace  uint8
	Flags Flags
}

// Index is what a planner needs of one fragment without its payloads.
type Index struct {
	// DocSize is the length in bytes of the document indexed. An index
	// whose DocSize is not the stored document's length does not describe
	// it.
	DocSize int64
	// Header is the fragment's Info and Tracks, codec data included.
	Header *mkv.Header
	// Timecode is the Cluster timecode, in TimecodeScale units.
	Timecode int64
	// Tags are the fragment's tags (fragment number, timestamps, others).
	Tags mkv.Tags
	// Truncated is mkv.Fragment's flag of the same name.
	Truncated bool
	// Samples are the fragment's frames, in document order.
	Samples []Sample
}

// ErrNoFragment is returned by Build for a document without a fragment.
var ErrNoFragment = errors.New("fragindex: document holds no fragment")

// Build indexes the first fragment of a stored document.
func Build(doc []byte) (*Index, error) {
	f, err := mkv.NewBytesReader(doc).Next()
	if err != nil {
		if err == io.EOF {
			return nil, ErrNoFragment
		}
		return nil, fmt.Errorf("fragindex: %w", err)
	}
	return FromFragment(f, int64(len(doc))), nil
}

// FromFragment indexes f, read from a document of docSize bytes whose
// first byte is at input offset f.Offset: sample offsets are made relative
// to the document. The index shares f's Header and copies everything else.
func FromFragment(f *mkv.Fragment, docSize int64) *Index {
	x := &Index{
		DocSize:   docSize,
		Header:    f.Header,
		Timecode:  f.Timecode,
		Tags:      f.Tags,
		Truncated: f.Truncated,
		Samples:   make([]Sample, len(f.Blocks)),
	}
	x.Tags.Other = append([]mkv.SimpleTag(nil), f.Tags.Other...)
	// A fragment read without Tracks has no header (mkv.Reader lets it
	// through); its index has none either, which planners refuse.
	// The tracks whose frames are NAL units: a fragment has one or two
	// tracks, so a scan of their numbers costs less than a map lookup
	// per frame.
	var nal []uint64
	if f.Header != nil {
		for _, t := range f.Header.Tracks {
			if t.CodecID == "V_MPEG4/ISO/AVC" || t.CodecID == "V_MPEGH/ISO/HEVC" {
				nal = append(nal, t.Number)
			}
		}
	}
	for i, b := range f.Blocks {
		s := Sample{
			Offset:   b.Offset - f.Offset,
			Size:     uint32(len(b.Data)),
			Track:    b.Track,
			Time:     b.Time,
			Duration: b.Duration,
			Lace:     b.Lace,
		}
		if b.Keyframe {
			s.Flags |= Keyframe
		}
		if b.Invisible {
			s.Flags |= Invisible
		}
		if b.Discardable {
			s.Flags |= Discardable
		}
		if b.HasDuration {
			s.Flags |= HasDuration
		}
		if slices.Contains(nal, b.Track) && lengthPrefixed(b.Data) {
			s.Flags |= LengthPrefixed
		}
		x.Samples[i] = s
	}
	return x
}

// lengthPrefixed reports whether frame is valid 4-byte AVCC: the case in
// which the codec package hands the frame on unchanged.
func lengthPrefixed(frame []byte) bool {
	_, converted, err := codec.ToAVCC(nil, frame, 4)
	return err == nil && !converted
}
