package mkv

import "strconv"

// TrackType is the Matroska TrackType of a track.
type TrackType uint8

// The track types kvsclip cares about; others keep their numeric value.
const (
	TrackTypeVideo TrackType = 1
	TrackTypeAudio TrackType = 2
)

// Track is one entry of a Matroska Tracks element.
type Track struct {
	Number uint64
	UID    uint64
	Type   TrackType
	Name   string
	// CodecID is the Matroska codec ID, such as "V_MPEG4/ISO/AVC".
	CodecID string
	// CodecPrivate is the codec's private data (avcC, AudioSpecificConfig,
	// WAVEFORMATEX...). The Reader gives every header its own copy.
	CodecPrivate []byte
	// DefaultDuration is the duration of one frame in nanoseconds; 0 if
	// the track does not say.
	DefaultDuration uint64

	// Video.
	PixelWidth, PixelHeight uint64

	// Audio.
	SamplingFrequency float64
	Channels          uint64
	BitDepth          uint64
}

// Header is what a fragment's frames need to be understood: Segment Info and
// Tracks. Fragments read from one Segment share one *Header; a Reader also
// hands out the same *Header again when a later document repeats the same
// Info and Tracks byte for byte, so comparing pointers is a cheap first test
// for "nothing changed".
type Header struct {
	// TimecodeScale is the length of one timecode unit in nanoseconds.
	TimecodeScale uint64
	MuxingApp     string
	WritingApp    string
	Title         string
	Tracks        []Track
}

// Track returns the track with the given number, or nil.
func (h *Header) Track(number uint64) *Track {
	for i := range h.Tracks {
		if h.Tracks[i].Number == number {
			return &h.Tracks[i]
		}
	}
	return nil
}

// Block is one frame of a Cluster. A laced SimpleBlock or Block yields one
// Block per frame, with the same Time and increasing Lace.
type Block struct {
	// Track is the track number.
	Track uint64
	// Time is the block's timecode (Cluster Timecode plus the block's
	// relative timecode), in units of the header's TimecodeScale.
	Time int64
	// Lace is the frame's index in its lace; 0 for unlaced blocks.
	Lace uint8
	// Keyframe is set for a SimpleBlock with the key flag and for a Block
	// in a BlockGroup without ReferenceBlock.
	Keyframe    bool
	Invisible   bool
	Discardable bool
	// Duration is the BlockGroup's BlockDuration in timecode units;
	// HasDuration tells whether there was one.
	Duration    uint64
	HasDuration bool
	// Data is the frame's bytes: a sub-slice of the Reader's input or buffer.
	Data []byte
	// Offset is the position of Data in the input.
	Offset int64
}

// Tags are the AWS_KINESISVIDEO_* tags of a fragment, plus any others.
type Tags struct {
	// FragmentNumber is AWS_KINESISVIDEO_FRAGMENT_NUMBER exactly as written:
	// a decimal string of up to 128 digits, too long for any integer type.
	// Compare numbers with kvs.CompareFragmentNumbers.
	FragmentNumber string
	// ProducerTimestamp and ServerTimestamp are the AWS tags in milliseconds
	// since the Unix epoch; the Has flags tell whether the tag was present.
	ProducerTimestamp    int64
	HasProducerTimestamp bool
	ServerTimestamp      int64
	HasServerTimestamp   bool
	// MillisBehindNow and ContinuationToken are GetMedia's tags.
	MillisBehindNow    int64
	HasMillisBehindNow bool
	ContinuationToken  string
	// EndOfFragment is set when the producer closed the fragment with
	// AWS_KINESISVIDEO_END_OF_FRAGMENT.
	EndOfFragment bool
	// ErrorCode and ErrorID are GetMedia's per-fragment error tags
	// (AWS_KINESISVIDEO_ERROR_CODE / _EXCEPTION_ERROR_CODE and
	// AWS_KINESISVIDEO_ERROR_ID), empty / 0 when absent.
	ErrorCode string
	ErrorID   int64
	// Other holds every other SimpleTag in the order read.
	Other []SimpleTag
}

// SimpleTag is one name/value tag.
type SimpleTag struct {
	Name  string
	Value string
}

// Fragment is one KVS fragment: a Cluster with the header that describes its
// tracks and the tags around it.
//
// A Fragment returned by Reader.Next and everything it points to stays valid
// until the second following call to Next: a caller may hold the previous
// fragment while it looks at the current one. Use Clone to keep one longer.
type Fragment struct {
	// Header is the Info and Tracks in force for this fragment.
	Header *Header
	// Timecode is the Cluster's Timecode in TimecodeScale units. KVS leaves
	// it as the producer wrote it: it can restart, repeat or go backwards
	// between fragments; place fragments with Start instead.
	Timecode int64
	Blocks   []Block
	Tags     Tags
	// Index counts fragments in the input from 0.
	Index int
	// Offset and Size delimit the fragment in the input: for a GetMedia
	// dump the whole EBML document, for a producer file its Cluster and
	// the Tags around it.
	Offset int64
	Size   int64
	// Truncated is set when the input ended inside the fragment's Cluster;
	// Blocks holds the frames that were complete.
	Truncated bool
}

// StartMillis returns the fragment's start in milliseconds: the producer
// timestamp tag when there is one (fromTag true), else the Cluster timecode
// converted to milliseconds, which is epoch time for producer files written
// with absolute timecodes and stream-relative time otherwise.
func (f *Fragment) StartMillis() (ms int64, fromTag bool) {
	if f.Tags.HasProducerTimestamp {
		return f.Tags.ProducerTimestamp, true
	}
	return f.Timecode * int64(f.Header.TimecodeScale) / 1e6, false
}

// Name returns the fragment number, or "#N" with the fragment's index when
// it has no number tag. It is how errors and manifests name a fragment.
func (f *Fragment) Name() string {
	if f.Tags.FragmentNumber != "" {
		return f.Tags.FragmentNumber
	}
	return "#" + strconv.Itoa(f.Index)
}

// Clone returns a deep copy of f that does not share memory with the
// Reader. The Header is shared: headers are never modified after reading.
func (f *Fragment) Clone() *Fragment {
	c := *f
	c.Blocks = make([]Block, len(f.Blocks))
	n := 0
	for _, b := range f.Blocks {
		n += len(b.Data)
	}
	data := make([]byte, 0, n)
	for i, b := range f.Blocks {
		c.Blocks[i] = b
		start := len(data)
		data = append(data, b.Data...)
		c.Blocks[i].Data = data[start:len(data):len(data)]
	}
	c.Tags.Other = append([]SimpleTag(nil), f.Tags.Other...)
	return &c
}
