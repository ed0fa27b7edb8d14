package mkv

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// DefaultFragmentDuration is the span Refragment gives a fragment when
// asked for none: the producer SDKs' default fragment duration.
const DefaultFragmentDuration = 2 * time.Second

// Limits of Refragment. A fragment is cut before it reaches either, even
// where no key frame comes, since KVS would refuse it whole.
const (
	// maxRefragmentSpan bounds the time from a fragment's first frame to
	// its last: KVS refuses fragments of over 10 s (PutMedia ErrorId
	// 4002), and the last frame's own duration counts towards them.
	maxRefragmentSpan = 9 * time.Second
	// maxRefragmentBytes bounds a fragment's frame bytes: KVS refuses
	// fragments of over 50 MB (PutMedia ErrorId 4001); the margin covers
	// the header and the Cluster's framing. It is also the memory a
	// Refragment holds at most.
	maxRefragmentBytes = 45_000_000
)

// MaxRefragmentDuration is the longest target duration Refragment takes:
// fragments are cut at maxRefragmentSpan anyway.
const MaxRefragmentDuration = maxRefragmentSpan

// ErrFragmentDuration is Refragment's error for a target duration that is
// not positive or would make fragments longer than KVS takes.
var ErrFragmentDuration = errors.New("fragment duration out of range")

// RefragmentOptions configure Refragment.
type RefragmentOptions struct {
	// Duration is the span a fragment reaches before the next key frame
	// starts another; DefaultFragmentDuration when zero.
	Duration time.Duration
}

// Refragment reads the Matroska stream src, whatever its Clusters, and
// writes its frames to dst as the KVS producer SDKs cut them: one Segment
// (EBML header, Info and Tracks once) and a Cluster per fragment, each
// starting at a key frame of the video track once the fragment before has
// lasted opts.Duration. Without a video track a fragment ends at the first
// frame after opts.Duration. Fragments are also cut before they would
// outgrow what KVS takes (maxRefragmentSpan, maxRefragmentBytes) or what a
// Cluster can hold (a block's 16-bit offset from the Cluster timecode), at
// the next frame whatever its kind.
//
// Clusters are written with their size, so a server can take a fragment at
// its last byte, and each is written as soon as the key frame that ends it
// arrives: Refragment holds one fragment's frames, copied out of the
// reader's buffers, and no more. Frames keep their times, flags and order;
// tags of the input (statistics, another producer's metadata) are not
// carried, since they named Clusters that no longer exist.
//
// It returns the number of fragments written. Input that cannot be read
// ends it with the Reader's *Error, after the frames read before it have
// been written as a fragment; a header that changes within the input is
// ErrHeaderChanged.
func Refragment(dst io.Writer, src io.Reader, opts *RefragmentOptions) (int, error) {
	target := DefaultFragmentDuration
	if opts != nil && opts.Duration != 0 {
		target = opts.Duration
	}
	if target < 0 || target > MaxRefragmentDuration {
		return 0, fmt.Errorf("mkv: refragment: %v: %w (0 to %v)", target, ErrFragmentDuration, MaxRefragmentDuration)
	}
	rf := &refragmenter{
		r:      NewReader(src),
		w:      NewWriter(dst, &WriterOptions{Layout: LayoutProducer}),
		target: target,
	}
	return rf.run()
}

// refragmenter is one Refragment call.
type refragmenter struct {
	r      *Reader
	w      *Writer
	target time.Duration
	// out gathers the fragment being built; data holds its frames'
	// bytes, reused from one fragment to the next.
	out     Fragment
	data    []byte
	written int
	// video is the number of out.Header's video track; 0 when it has
	// none.
	video uint64
}

func (rf *refragmenter) run() (int, error) {
	for {
		f, err := rf.r.Next()
		if err != nil {
			if ferr := rf.flush(); ferr != nil {
				return rf.written, ferr
			}
			if err == io.EOF {
				return rf.written, rf.w.Close()
			}
			return rf.written, err
		}
		if f.Header != rf.out.Header {
			// A new document: its frames do not share a Cluster with
			// the ones before. The Writer refuses the new header if it
			// is not the same one again.
			if err := rf.flush(); err != nil {
				return rf.written, err
			}
			rf.out.Header = f.Header
			rf.video = 0
			for _, t := range f.Header.Tracks {
				if t.Type == TrackTypeVideo {
					rf.video = t.Number
					break
				}
			}
		}
		for i := range f.Blocks {
			b := &f.Blocks[i]
			if rf.cutBefore(b) {
				if err := rf.flush(); err != nil {
					return rf.written, err
				}
			}
			rf.add(b)
		}
	}
}

// cutBefore reports whether b starts a new fragment.
func (rf *refragmenter) cutBefore(b *Block) bool {
	o := &rf.out
	if len(o.Blocks) == 0 {
		return false
	}
	rel := b.Time - o.Timecode
	if rel < math.MinInt16 || rel > math.MaxInt16 ||
		len(o.Blocks) >= MaxFramesPerFragment || len(rf.data)+len(b.Data) > maxRefragmentBytes {
		return true
	}
	// In nanoseconds: rel is within 16 bits and the scale within 1 s.
	span := time.Duration(rel * int64(o.Header.TimecodeScale))
	if span >= maxRefragmentSpan {
		return true
	}
	if span < rf.target {
		return false
	}
	return rf.video == 0 || b.Track == rf.video && b.Keyframe
}

// add appends b, its bytes copied, to the fragment being built.
func (rf *refragmenter) add(b *Block) {
	o := &rf.out
	if len(o.Blocks) == 0 {
		// The Cluster timecode is the first frame's, as the SDK's;
		// the Writer takes none below 0.
		o.Timecode = max(b.Time, 0)
	}
	start := len(rf.data)
	rf.data = append(rf.data, b.Data...)
	nb := *b
	nb.Lace = 0
	// A later append may move data; the frames already in keep the old
	// array, which holds their bytes unchanged.
	nb.Data = rf.data[start:len(rf.data):len(rf.data)]
	o.Blocks = append(o.Blocks, nb)
}

// flush writes the fragment being built, if any, and starts the next.
func (rf *refragmenter) flush() error {
	o := &rf.out
	if len(o.Blocks) == 0 {
		return nil
	}
	o.Index = rf.written
	err := rf.w.WriteFragment(o)
	o.Blocks = o.Blocks[:0]
	rf.data = rf.data[:0]
	if err != nil {
		return err
	}
	rf.written++
	return nil
}
